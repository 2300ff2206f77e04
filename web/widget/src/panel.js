// The widget's panel as DOM: launcher, header (title, "Talk to a person", close), ticket banner,
// the conversation log (a polite live region), typing indicator, status line and the composer.
// The Widget wires the behaviour; this only builds and labels the elements.
import { h } from "./dom.js";

export const TALK_TO_PERSON = { title: "Talk to a person", payload: "/request_human" };

/** `actions`: {toggle, talkToPerson, close} for the launcher and the header buttons. */
export function buildPanel(config, actions) {
  const launcher = h("button", {
    class: "t0-launcher",
    type: "button",
    "aria-label": `Open chat: ${config.title}`,
    "aria-expanded": "false",
    "aria-controls": "t0-panel",
    onclick: actions.toggle,
  });

  const humanButton = h("button", {
    class: "t0-human",
    type: "button",
    text: TALK_TO_PERSON.title,
    onclick: actions.talkToPerson,
  });
  const closeButton = h("button", {
    class: "t0-close",
    type: "button",
    "aria-label": "Close chat",
    text: "×",
    onclick: actions.close,
  });
  const header = h("div", { class: "t0-header" }, h("h2", { class: "t0-title", text: config.title }), humanButton, closeButton);

  const ticketBanner = h("p", { class: "t0-ticket", hidden: true });
  const log = h("div", {
    class: "t0-log",
    role: "log",
    "aria-live": "polite",
    "aria-relevant": "additions",
    "aria-label": "Conversation",
    tabindex: "0",
  });
  const typing = h(
    "div",
    { class: "t0-typing", hidden: true },
    h("span", { class: "t0-dots", "aria-hidden": "true" }, h("span"), h("span"), h("span")),
    h("span", { class: "t0-typing-text", text: "Assistant is typing" }),
  );
  const status = h("p", { class: "t0-status", role: "status" });

  const input = h("textarea", {
    id: "t0-input",
    class: "t0-input",
    rows: "1",
    maxlength: String(config.maxLength),
    placeholder: "Type your question…",
    autocomplete: "off",
    "aria-describedby": "t0-counter t0-error",
  });
  const counter = h("p", { id: "t0-counter", class: "t0-counter", hidden: true });
  const error = h("p", { id: "t0-error", class: "t0-error", role: "alert" });
  const sendButton = h("button", { class: "t0-send", type: "submit", text: "Send" });
  const form = h(
    "form",
    { class: "t0-composer", novalidate: true },
    h("label", { class: "t0-vh", for: "t0-input", text: "Your message" }),
    h("div", { class: "t0-row" }, input, sendButton),
    counter,
    error,
  );

  const panel = h(
    "section",
    { id: "t0-panel", class: "t0-panel", role: "region", "aria-label": config.title, hidden: true },
    header,
    ticketBanner,
    log,
    typing,
    status,
    form,
  );
  const wrapper = h("div", { class: "t0" }, launcher, panel);
  return { launcher, humanButton, ticketBanner, log, typing, status, input, counter, error, form, panel, wrapper };
}
