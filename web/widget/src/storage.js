// What the widget keeps in the browser. localStorage (persist on): the conversation as data, never
// HTML. sessionStorage (always): the composer's unsent draft, so a reload never loses typed text.

export const MAX_STORED_MESSAGES = 200;

function safe(fn, fallback) {
  try {
    return fn();
  } catch {
    return fallback; // storage disabled, private mode, quota: the widget works without it
  }
}

export class Store {
  constructor(serverUrl, persist) {
    this.persist = persist;
    this.key = `tier0-widget:v1:${serverUrl}`;
    this.draftKey = `tier0-widget:draft:${serverUrl}`;
  }

  /** {sessionId, messages, ticket, open} from a previous page, or null. */
  load() {
    if (!this.persist) return null;
    const data = safe(() => JSON.parse(window.localStorage.getItem(this.key) || "null"), null);
    if (!data || typeof data !== "object" || !Array.isArray(data.messages)) return null;
    return {
      sessionId: typeof data.sessionId === "string" ? data.sessionId : null,
      messages: data.messages.filter((m) => m && typeof m === "object" && (m.from === "bot" || m.from === "user")),
      ticket: data.ticket && typeof data.ticket.id === "string" ? data.ticket : null,
      open: typeof data.open === "boolean" ? data.open : null,
    };
  }

  save(state) {
    if (!this.persist) return;
    const data = {
      sessionId: state.sessionId,
      messages: state.messages.slice(-MAX_STORED_MESSAGES),
      ticket: state.ticket,
      open: state.open,
    };
    safe(() => window.localStorage.setItem(this.key, JSON.stringify(data)));
  }

  loadDraft() {
    return safe(() => window.sessionStorage.getItem(this.draftKey) || "", "");
  }

  saveDraft(text) {
    safe(() =>
      text ? window.sessionStorage.setItem(this.draftKey, text) : window.sessionStorage.removeItem(this.draftKey),
    );
  }
}
