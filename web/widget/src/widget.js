// The chat widget: an open shadow root on a host element appended to <body>, talking to Rasa's
// socket.io channel (session_request / session_confirm / user_uttered / bot_uttered).
import { io } from "socket.io-client";

import { theme } from "./colors.js";
import { ICON_CHAT, ICON_DOWN, h, normaliseButtons, safeUrl } from "./dom.js";
import { NOT_SENT, renderCitation, renderMessage } from "./messages.js";
import { TALK_TO_PERSON, buildPanel } from "./panel.js";
import { Store } from "./storage.js";
import composerCss from "./composer.css";
import messagesCss from "./messages.css";
import panelCss from "./widget.css";

// In this order: the later files refine the earlier ones (the phone layout comes last).
const css = panelCss + messagesCss + composerCss;

const TYPING_TIMEOUT_MS = 30_000;
const BACK_ONLINE_MS = 4_000;
const COUNTER_FROM = 0.8; // the character counter appears at 80% of maxLength
const UNREACHABLE = "The assistant can't be reached right now. Retrying automatically…";
const BACK = "Connected again.";

const MAX_AGENT_NAME = 80;
// The customer's typing reaches the agent at most this often; the agent's shows this long.
const TYPING_SIGNAL_MS = 2_000;
const AGENT_TYPING_MS = 5_000;

// The agent of a message written by a person ({name, initial}), or null; never trusted as markup.
function agentOf(metadata) {
  const agent = metadata && typeof metadata === "object" ? metadata.agent : null;
  if (!agent || typeof agent !== "object" || typeof agent.name !== "string" || !agent.name.trim()) return null;
  const name = agent.name.trim().slice(0, MAX_AGENT_NAME);
  const initial = typeof agent.initial === "string" && agent.initial.trim() ? agent.initial.trim()[0] : name[0];
  return { name, initial: initial.toUpperCase() };
}

let ids = 0;
const newId = () => `m${Date.now().toString(36)}${(ids++).toString(36)}`;

export class Widget {
  constructor(config) {
    this.config = config;
    this.store = new Store(config.serverUrl + config.socketPath, config.persist);
    // A reopened conversation (a link from an email) replaces whatever this browser had.
    const saved = config.conversation ? { ...config.conversation, open: true } : this.store.load();
    this.state = {
      sessionId: saved ? saved.sessionId : null,
      messages: saved ? saved.messages : [],
      ticket: saved ? saved.ticket : null,
      open: saved && saved.open !== null ? saved.open : config.open,
    };
    // A message on its way when the last page closed may or may not have arrived: we assume it did
    // (the socket was up when it was sent); queued ones are sent after the next session_confirm.
    for (const m of this.state.messages) if (m.status === "sending") m.status = "sent";
    // Who from the support team holds the chat, as the last of their messages says (after a reload too).
    this.state.agent = null;
    for (const m of this.state.messages) {
      if (m.agent) this.state.agent = m.notice === "released" || m.notice === "closed" ? null : m.agent;
    }
    if (!this.state.messages.length && config.greeting) {
      this.state.messages.push({ id: newId(), from: "bot", text: config.greeting, local: true });
    }
    this.ready = false; // connected and the session confirmed
    this.offline = false;
    this.elements = new Map(); // message id -> element
    this.build();
    this.renderAll();
    if (config.conversation) this.save();
    this.connect();
    this.setOpen(this.state.open, { focus: false, save: false });
  }

  // --- DOM -------------------------------------------------------------------------------------

  build() {
    const { config } = this;
    this.host = h("tier0-chat-widget");
    for (const [name, value] of Object.entries(theme(config.primaryColor))) this.host.style.setProperty(name, value);
    this.root = this.host.attachShadow({ mode: "open" });
    // A constructed style sheet also works on hosts whose CSP forbids inline <style>.
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      this.root.adoptedStyleSheets = [sheet];
    } catch {
      this.root.append(h("style", { text: css }));
    }

    Object.assign(
      this,
      buildPanel(config, {
        toggle: () => this.setOpen(!this.state.open),
        talkToPerson: () => this.send(TALK_TO_PERSON.payload, TALK_TO_PERSON.title),
        close: () => this.setOpen(false),
      }),
    );
    this.root.append(this.wrapper);

    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submitComposer();
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submitComposer();
      }
    });
    this.input.addEventListener("input", () => this.onInput());
    this.input.addEventListener("paste", (event) => this.onPaste(event));
    this.wrapper.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.state.open) {
        event.preventDefault();
        this.setOpen(false);
      }
    });

    // Keep the newest message in view while the log's box changes size (ticket banner, typing
    // indicator, status line, a taller composer) unless the customer scrolled up to read.
    this.pinned = true;
    this.log.addEventListener("scroll", () => {
      this.pinned = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 24;
    });
    if (window.ResizeObserver) {
      new ResizeObserver(() => this.pinned && this.scrollToEnd()).observe(this.log);
    }

    this.input.value = this.store.loadDraft();
    document.body.append(this.host);
    this.onInput();
  }

  renderAll() {
    this.log.replaceChildren();
    this.elements.clear();
    for (const message of this.state.messages) this.appendMessage(message, { scroll: false });
    this.renderTicket();
    this.scrollToEnd();
  }

  renderMessage(message) {
    return renderMessage(message, (button) => {
      this.send(button.payload, button.title);
      this.input.focus(); // the chosen button is now disabled: keep keyboard focus in the widget
    });
  }

  appendMessage(message, { scroll = true } = {}) {
    const el = this.renderMessage(message);
    this.elements.set(message.id, el);
    this.log.append(el);
    if (scroll) this.scrollToEnd();
  }

  // In-place updates: the log is a live region that announces additions, so a changed message is
  // never re-inserted (that would read it out again).
  showStatus(message) {
    const el = this.elements.get(message.id);
    if (!el) return;
    const mark = el.querySelector(".t0-pending");
    if (message.status === "queued" && !mark) el.append(h("p", { class: "t0-pending", text: NOT_SENT }));
    if (message.status !== "queued" && mark) mark.remove();
  }

  disableButtons(message) {
    const el = this.elements.get(message.id);
    if (el) for (const button of el.querySelectorAll(".t0-reply")) button.disabled = true;
  }

  addCitation(message, citation) {
    const el = this.elements.get(message.id);
    if (el) el.append(renderCitation(citation));
  }

  renderTicket() {
    const ticket = this.state.ticket;
    this.ticketBanner.hidden = !ticket;
    if (!ticket) return;
    const label = ticket.kind === "reference" ? "Your reference: " : "Your ticket: ";
    this.ticketBanner.replaceChildren(label, h("strong", { text: ticket.id }));
  }

  scrollToEnd() {
    this.log.scrollTop = this.log.scrollHeight;
    this.pinned = true;
  }

  setStatus(text, kind = "") {
    clearTimeout(this.statusTimer);
    this.status.textContent = text;
    this.status.className = `t0-status${kind ? ` t0-status-${kind}` : ""}`;
  }

  setTyping(on, who = "Assistant", timeoutMs = TYPING_TIMEOUT_MS) {
    clearTimeout(this.typingTimer);
    this.typing.hidden = !on;
    const label = this.typing.querySelector(".t0-typing-text");
    if (label) label.textContent = `${who} is typing`;
    if (on) this.typingTimer = setTimeout(() => this.setTyping(false), timeoutMs);
  }

  /** While a person from the support team holds the chat, they see when the customer types. */
  tellAgentTyping() {
    const now = Date.now();
    if (!this.state.agent || !this.ready || !this.input.value || now - (this.typingSentAt || 0) < TYPING_SIGNAL_MS) return;
    this.typingSentAt = now;
    this.socket.emit("user_typing", { session_id: this.state.sessionId });
  }

  setOpen(open, { focus = true, save = true } = {}) {
    const wasInside = this.root.activeElement !== null;
    this.state.open = open;
    this.panel.hidden = !open;
    this.wrapper.classList.toggle("t0-open", open);
    this.launcher.setAttribute("aria-expanded", String(open));
    this.launcher.innerHTML = open ? ICON_DOWN : ICON_CHAT; // constant markup, never message text
    if (save) this.save();
    if (open) {
      this.autosize();
      this.scrollToEnd();
      if (focus) this.input.focus();
    } else if (focus || wasInside) {
      this.launcher.focus();
    }
  }

  // --- composer --------------------------------------------------------------------------------

  onInput() {
    const { maxLength } = this.config;
    const length = this.input.value.length;
    this.store.saveDraft(this.input.value);
    this.tellAgentTyping();
    this.error.textContent = "";
    this.counter.hidden = length < maxLength * COUNTER_FROM;
    this.counter.textContent = `${length} / ${maxLength} characters`;
    this.autosize();
  }

  /** The message box grows with its text up to a few lines (only measurable while shown). */
  autosize() {
    if (this.panel.hidden) return;
    const box = this.input;
    const borders = box.offsetHeight - box.clientHeight;
    box.style.height = "auto";
    box.style.height = `${Math.min(box.scrollHeight + borders, 140)}px`;
  }

  onPaste(event) {
    const text = event.clipboardData ? event.clipboardData.getData("text") : "";
    const { selectionStart, selectionEnd, value } = this.input;
    const after = value.length - (selectionEnd - selectionStart) + text.length;
    if (after <= this.config.maxLength) return;
    // The browser would cut the paste silently at maxlength: refuse it and say why instead.
    event.preventDefault();
    this.error.textContent =
      `That paste is too long: a message can have at most ${this.config.maxLength} characters ` +
      `(it would have ${after}). Nothing was cut; shorten the text or send it in parts.`;
  }

  submitComposer() {
    const text = this.input.value.trim();
    if (!text) return;
    this.input.value = "";
    this.onInput();
    this.send(text);
  }

  // --- conversation ----------------------------------------------------------------------------

  /** The customer sends `payload`; the log shows `shown` (a button's title) or the payload. */
  send(payload, shown) {
    const text = String(payload ?? "").trim();
    if (!text) return;
    // Buttons of earlier messages stop working once the customer says anything else.
    for (const m of this.state.messages) {
      if (m.buttons && m.buttons.length && !m.buttonsUsed) {
        m.buttonsUsed = true;
        this.disableButtons(m);
      }
    }
    const message = { id: newId(), from: "user", text, status: "queued" };
    if (shown !== undefined && shown !== text) message.shown = String(shown);
    this.state.messages.push(message);
    if (this.ready) this.emitMessage(message);
    this.appendMessage(message);
    this.save();
  }

  emitMessage(message) {
    message.status = "sending";
    // Rasa acknowledges the event once it has handled the turn; until then a lost connection puts
    // the message back in the queue (sent again after reconnecting; nothing typed is dropped).
    const data = { message: message.text, session_id: this.state.sessionId };
    // A tapped button sends its payload; its title goes along so a transcript shows what the customer saw.
    if (message.shown) data.metadata = { button_title: message.shown };
    this.socket.emit("user_uttered", data, () => {
      if (message.status === "sending") {
        message.status = "sent";
        this.save();
      }
    });
    // While a person holds the chat the bot does not answer: no "Assistant is typing".
    if (!this.state.agent) this.setTyping(true);
  }

  flushQueue() {
    for (const m of this.state.messages) {
      if (m.from === "user" && m.status === "queued") {
        this.emitMessage(m);
        this.showStatus(m);
      }
    }
    this.save();
  }

  onBotMessage(data) {
    if (!data || typeof data !== "object") return;
    this.setTyping(false);
    if (data.tier0 && typeof data.tier0 === "object") {
      this.onCustomPayload(data.tier0);
      return;
    }
    const text = typeof data.text === "string" ? data.text : "";
    const buttons = normaliseButtons(data.quick_replies || data.buttons);
    if (!text && !buttons.length) return; // images, attachments, other payloads: not shown
    const message = { id: newId(), from: "bot", text };
    if (buttons.length) message.buttons = buttons;
    const agent = agentOf(data.metadata);
    if (agent) {
      // A person from the support team wrote it (they joined the chat); a notice is about the chat.
      message.agent = agent;
      const notice = data.metadata.notice;
      if (notice === "joined" || notice === "released" || notice === "closed") message.notice = notice;
      this.state.agent = notice === "released" || notice === "closed" ? null : agent;
    }
    this.state.messages.push(message);
    this.appendMessage(message);
    this.save();
  }

  onCustomPayload(payload) {
    const { citation, ticket } = payload;
    if (citation && typeof citation === "object") {
      const url = safeUrl(citation.url);
      const title = typeof citation.title === "string" && citation.title.trim() ? citation.title.trim() : url;
      if (url) {
        let target = null;
        for (let i = this.state.messages.length - 1; i >= 0 && !target; i--) {
          if (this.state.messages[i].from === "bot") target = this.state.messages[i];
        }
        // A doubted article is only the nearest one: the card must not present it as the source.
        const entry = { title, url, article_id: String(citation.article_id || ""), doubted: citation.doubted === true };
        if (target && !target.local) {
          target.citations = [...(target.citations || []), entry];
          this.addCitation(target, entry);
        } else {
          target = { id: newId(), from: "bot", text: "", citations: [entry] };
          this.state.messages.push(target);
          this.appendMessage(target);
        }
        this.scrollToEnd();
      }
    }
    if (ticket && typeof ticket === "object" && typeof ticket.id === "string" && /^[\w-]{1,40}$/.test(ticket.id)) {
      this.state.ticket = { id: ticket.id, kind: ticket.kind === "reference" ? "reference" : "ticket" };
      this.renderTicket();
    }
    this.save(); // unknown payloads are ignored
  }

  save() {
    this.store.save(this.state);
  }

  // --- connection ------------------------------------------------------------------------------

  connect() {
    const { serverUrl, socketPath } = this.config;
    // socket.io reconnects by itself with backoff (1 s doubling to 5 s, randomised), for ever.
    this.socket = io(serverUrl, {
      path: socketPath,
      transports: ["websocket", "polling"],
      tryAllTransports: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
    });
    this.socket.on("connect", () => {
      this.socket.emit("session_request", { session_id: this.state.sessionId });
    });
    this.socket.on("session_confirm", (data) => {
      const id = typeof data === "string" ? data : data && data.session_id;
      if (typeof id === "string" && id) this.state.sessionId = id;
      this.ready = true;
      if (this.offline) {
        this.offline = false;
        this.setStatus(BACK, "ok");
        this.statusTimer = setTimeout(() => this.setStatus(""), BACK_ONLINE_MS);
      }
      this.flushQueue();
    });
    this.socket.on("bot_uttered", (data) => this.onBotMessage(data));
    this.socket.on("agent_typing", (data) => {
      const agent = agentOf(data && { agent: data.agent });
      if (agent) this.setTyping(true, agent.name.split(" ")[0], AGENT_TYPING_MS);
    });
    this.socket.on("disconnect", (reason) => {
      this.goneOffline();
      // The server closed this socket itself: socket.io does not retry that on its own.
      if (reason === "io server disconnect") setTimeout(() => this.socket.connect(), 2000);
    });
    this.socket.on("connect_error", () => this.goneOffline());
  }

  goneOffline() {
    this.ready = false;
    this.setTyping(false);
    for (const m of this.state.messages) {
      if (m.from === "user" && m.status === "sending") {
        m.status = "queued";
        this.showStatus(m);
      }
    }
    this.save();
    if (!this.offline) {
      this.offline = true;
      this.setStatus(UNREACHABLE, "error");
    }
  }
}
