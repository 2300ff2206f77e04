// One message of the conversation as DOM: bot text rendered from Markdown (sanitised), customer
// text only ever as text, suggested replies, citation cards and the "not sent yet" mark.
import { h, hidden } from "./dom.js";
import { renderMarkdown } from "./markdown.js";

export const NOT_SENT = "Not sent yet: will send when reconnected";

export function renderMessage(message, onReply) {
  const bot = message.from === "bot";
  const agent = bot ? message.agent : null;
  if (agent && message.notice) {
    // "Ana from Nimbus support has joined the chat.": a line about the chat, not a bubble.
    return h("p", { class: "t0-notice", "data-id": message.id, role: "status", text: message.text || "" });
  }
  const body = h("div", { class: "t0-text" });
  // An agent's words are shown as they typed them: text, never Markdown or links they did not mean.
  if (bot && !agent) body.append(renderMarkdown(message.text || ""));
  else body.textContent = message.shown ?? message.text; // customer text is only ever text
  const kind = agent ? "t0-bot t0-agent" : bot ? "t0-bot" : "t0-user";
  const el = h(
    "div",
    { class: `t0-msg ${kind}`, "data-id": message.id },
    agent
      ? h(
          "div",
          { class: "t0-author" },
          h("span", { class: "t0-avatar", "aria-hidden": "true", text: agent.initial }),
          h("span", { class: "t0-author-name", text: agent.name }),
          hidden(": "),
        )
      : hidden(bot ? "Assistant: " : "You: "),
    message.text || !bot ? body : null,
  );
  if (bot && message.buttons && message.buttons.length) {
    const group = h("div", { class: "t0-replies", role: "group", "aria-label": "Suggested replies" });
    for (const button of message.buttons) {
      group.append(
        h("button", {
          type: "button",
          class: "t0-reply",
          disabled: Boolean(message.buttonsUsed),
          text: button.title,
          onclick: () => onReply(button),
        }),
      );
    }
    el.append(group);
  }
  for (const citation of message.citations || []) el.append(renderCitation(citation));
  if (message.status === "queued") el.append(h("p", { class: "t0-pending", text: NOT_SENT }));
  return el;
}

export function renderCitation(citation) {
  return h(
    "a",
    { class: "t0-cite", href: citation.url, target: "_blank", rel: "noopener noreferrer" },
    h("span", { class: "t0-cite-label", text: citation.doubted ? "Nearest article: " : "Source: " }),
    citation.title,
    hidden(" (opens in a new tab)"),
  );
}
