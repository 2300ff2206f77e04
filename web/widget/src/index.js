// Tier0 chat widget: one <script> tag on any page, no framework, nothing loaded from a CDN.
//   <script src="https://help.example/widget/tier0-widget.js" data-server-url="https://rasa.example"
//           data-title="Nimbus Assistant" data-primary-color="#25408f" data-persist="true" async></script>
// or, without data-* attributes: Tier0Widget.init({serverUrl: "https://rasa.example", ...}).
import { configFromScript, normaliseConfig } from "./config.js";
import { renderMarkdown } from "./markdown.js";
import { Widget } from "./widget.js";

const PREFIX = "[Tier0 widget]";
// Only readable while this file runs for the first time (null in callbacks and for modules).
const script = document.currentScript || document.querySelector('script[src*="tier0-widget"]');

let widget = null;

function whenBodyReady(fn) {
  if (document.body) fn();
  else document.addEventListener("DOMContentLoaded", fn, { once: true });
}

/** Start the widget with a config object; returns the public API, or null when the config is invalid. */
function init(options) {
  if (widget) {
    console.warn(`${PREFIX} already started; init() is ignored`);
    return api;
  }
  const { config, errors, warnings } = normaliseConfig(options);
  for (const warning of warnings) console.warn(`${PREFIX} ${warning}`);
  if (!config) {
    for (const error of errors) console.error(`${PREFIX} ${error}. The widget is not shown.`);
    return null;
  }
  widget = "starting";
  whenBodyReady(() => {
    widget = new Widget(config);
  });
  return api;
}

function running(name) {
  if (widget instanceof Widget) return widget;
  console.warn(`${PREFIX} ${name}() called before the widget started (call Tier0Widget.init first)`);
  return null;
}

const api = {
  init,
  open() {
    running("open")?.setOpen(true);
  },
  close() {
    running("close")?.setOpen(false, { focus: false });
  },
  /** Send `text` as the customer (queued while the server is unreachable). */
  send(text) {
    const w = running("send");
    if (!w) return;
    w.setOpen(true, { focus: false });
    w.send(text);
  },
  /** Internal, for tests: the Markdown renderer the assistant's messages go through. */
  _renderMarkdown: renderMarkdown,
};

if (!window.Tier0Widget) {
  window.Tier0Widget = api;
  // Started from the script tag when it carries configuration; otherwise the page calls init().
  const fromTag = configFromScript(script);
  if (Object.keys(fromTag).length) init(fromTag);
} else {
  console.warn(`${PREFIX} loaded twice; the second copy does nothing`);
}
