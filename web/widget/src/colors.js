// Colours derived from the configured primary colour, each checked for WCAG AA contrast.

function parseHex(hex) {
  let h = hex.replace("#", "");
  if (h.length === 3) h = h.replace(/./g, "$&$&");
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
}

function toHex(rgb) {
  return "#" + rgb.map((c) => Math.round(Math.max(0, Math.min(255, c))).toString(16).padStart(2, "0")).join("");
}

/** WCAG 2 relative luminance of a #rrggbb colour. */
export function luminance(hex) {
  const [r, g, b] = parseHex(hex).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** White or near-black, whichever reads better on `background` (always >= 4.5:1). */
export function textOn(background) {
  return contrast("#ffffff", background) >= contrast("#111111", background) ? "#ffffff" : "#111111";
}

/** `color` darkened (towards black) until it reaches `ratio` against `background`. */
export function darkenFor(color, background, ratio) {
  let rgb = parseHex(color);
  for (let i = 0; i < 40 && contrast(toHex(rgb), background) < ratio; i++) rgb = rgb.map((c) => c * 0.9);
  return toHex(rgb);
}

/** CSS custom properties for the widget's theme. */
export function theme(primary) {
  const surface = "#ffffff";
  const bubble = "#eef1f7";
  const onPrimary = textOn(primary);
  return {
    "--t0-primary": primary,
    "--t0-on-primary": onPrimary,
    // Links in the assistant's bubbles and the citation cards: the brand colour when it reads well.
    "--t0-link": darkenFor(primary, bubble, 4.5),
    // Focus rings: 3:1 against the panel; inside the coloured header the header's text colour.
    "--t0-focus": darkenFor(primary, surface, 3),
    "--t0-focus-on-primary": onPrimary,
  };
}
