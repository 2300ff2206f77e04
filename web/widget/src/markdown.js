// Safe Markdown for the assistant's messages: marked (GFM, line breaks) then DOMPurify with a
// small allow-list. Links keep only http(s), mailto and relative URLs and always open in a new tab.
import DOMPurify from "dompurify";
import { Marked } from "marked";

const marked = new Marked({ gfm: true, breaks: true, async: false });

const ALLOWED_TAGS = ["p", "br", "strong", "em", "a", "ul", "ol", "li", "code", "pre", "blockquote"];
// http:, https:, mailto:, or no scheme at all (relative); everything else (javascript:, data:...) is dropped.
const SAFE_URL = /^(?:(?:https?|mailto):|[^a-z]|[a-z+.-]+(?:[^a-z+.\-:]|$))/i;

const purifier = DOMPurify(window);
purifier.addHook("afterSanitizeAttributes", (node) => {
  if (node.nodeName === "A") {
    if (node.hasAttribute("href")) {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer");
    } else {
      node.removeAttribute("target");
    }
  }
});

/** Markdown text -> an inert DocumentFragment (no script, no event handlers, no unsafe URLs). */
export function renderMarkdown(text) {
  const html = marked.parse(String(text ?? ""));
  return purifier.sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR: ["href", "title"],
    ALLOWED_URI_REGEXP: SAFE_URL,
    ALLOW_DATA_ATTR: false,
    RETURN_DOM_FRAGMENT: true,
  });
}
