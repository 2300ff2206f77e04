// Widget configuration: defaults, reading the <script> tag's data-* attributes, validation.

export const DEFAULT_GREETING =
  "Hi! I'm the Nimbus assistant. Ask me about sign-in, Wi-Fi, apps, licences or billing.";

export const DEFAULTS = Object.freeze({
  serverUrl: "",
  title: "Nimbus Assistant",
  greeting: DEFAULT_GREETING,
  primaryColor: "#25408f",
  persist: false,
  open: false,
  socketPath: "/socket.io",
  maxLength: 2000,
  // A conversation to show and go on with, replacing the stored one: {sessionId, messages, ticket}
  // (JSON in data-conversation; the help page sets it when a reopen link from an email is opened).
  conversation: null,
});

const KEYS = Object.keys(DEFAULTS);
const HEX = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;

/** The config keys found on a script tag (data-server-url -> serverUrl ...), as strings. */
export function configFromScript(script) {
  const raw = {};
  if (!script || !script.dataset) return raw;
  for (const key of KEYS) {
    if (script.dataset[key] !== undefined) raw[key] = script.dataset[key];
  }
  return raw;
}

function toBool(value, key, problems) {
  if (typeof value === "boolean") return value;
  const text = String(value).trim().toLowerCase();
  if (text === "" || text === "true" || text === "1" || text === "yes") return true;
  if (text === "false" || text === "0" || text === "no") return false;
  problems.warnings.push(`${key} must be true or false (got ${JSON.stringify(value)}); using the default`);
  return DEFAULTS[key];
}

/**
 * Check and complete a config. Returns {config, errors, warnings}; with errors the widget must
 * not start (config is null).
 */
export function normaliseConfig(input) {
  const problems = { errors: [], warnings: [] };
  const raw = input && typeof input === "object" ? input : {};
  for (const key of Object.keys(raw)) {
    if (!KEYS.includes(key)) problems.warnings.push(`unknown option ${JSON.stringify(key)} is ignored`);
  }
  const config = { ...DEFAULTS };

  let server = null;
  if (raw.serverUrl === undefined || String(raw.serverUrl).trim() === "") {
    problems.errors.push(
      'serverUrl is missing: set data-server-url="https://your-rasa-server" on the script tag ' +
        "or pass {serverUrl} to Tier0Widget.init()",
    );
  } else {
    try {
      server = new URL(String(raw.serverUrl).trim(), window.location.href);
      if (!/^(https?|wss?):$/.test(server.protocol)) {
        problems.errors.push(`serverUrl must be an http(s) URL (got ${JSON.stringify(raw.serverUrl)})`);
        server = null;
      }
    } catch {
      problems.errors.push(`serverUrl is not a URL: ${JSON.stringify(raw.serverUrl)}`);
    }
  }
  if (server) {
    // socket.io reads a URL path as a namespace: connect to the origin, the path goes in socketPath.
    if (server.pathname !== "/" && server.pathname !== "") {
      problems.warnings.push(
        `serverUrl has a path (${server.pathname}): the widget connects to ${server.origin}; ` +
          "put a proxied path in socketPath instead (e.g. /rasa/socket.io)",
      );
    }
    config.serverUrl = server.origin;
  }

  for (const key of ["title", "greeting"]) {
    if (raw[key] === undefined) continue;
    const text = String(raw[key]).trim();
    if (key === "title" && !text) problems.warnings.push("title is empty; using the default");
    else config[key] = key === "title" ? text.slice(0, 80) : text.slice(0, 1000);
  }

  if (raw.primaryColor !== undefined) {
    const color = String(raw.primaryColor).trim();
    if (HEX.test(color)) config.primaryColor = color;
    else problems.warnings.push(`primaryColor must be a hex colour like #25408f (got ${JSON.stringify(color)})`);
  }

  for (const key of ["persist", "open"]) {
    if (raw[key] !== undefined) config[key] = toBool(raw[key], key, problems);
  }

  if (raw.socketPath !== undefined) {
    const path = String(raw.socketPath).trim();
    if (path.startsWith("/")) config.socketPath = path;
    else problems.warnings.push(`socketPath must start with "/" (got ${JSON.stringify(path)})`);
  }

  if (raw.maxLength !== undefined) {
    const n = Number(raw.maxLength);
    if (Number.isInteger(n) && n >= 1 && n <= 100000) config.maxLength = n;
    else problems.warnings.push(`maxLength must be a whole number from 1 to 100000 (got ${JSON.stringify(raw.maxLength)})`);
  }

  if (raw.conversation !== undefined && raw.conversation !== null && raw.conversation !== "") {
    config.conversation = readConversation(raw.conversation, problems);
  }

  return { config: problems.errors.length ? null : config, ...problems };
}

function readConversation(value, problems) {
  let data = value;
  if (typeof value === "string") {
    try {
      data = JSON.parse(value);
    } catch {
      data = null;
    }
  }
  const ok =
    data && typeof data === "object" && typeof data.sessionId === "string" && data.sessionId && Array.isArray(data.messages);
  if (!ok) {
    problems.warnings.push("conversation must be {sessionId, messages: [...]}; the stored conversation is used");
    return null;
  }
  const messages = data.messages
    .filter((m) => m && typeof m === "object" && (m.from === "bot" || m.from === "user") && typeof m.text === "string")
    .map((m) => ({ ...m, status: m.from === "user" ? "sent" : undefined }));
  const ticket = data.ticket && typeof data.ticket.id === "string" ? data.ticket : null;
  return { sessionId: data.sessionId, messages, ticket };
}
