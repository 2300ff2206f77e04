// Minimal chat box for the demo page: Rasa's socket.io channel with session persistence.
// Every message is rendered with textContent; only http(s) and site-relative links become <a>.
(function () {
  "use strict";
  var LINK = /\[([^\]]+)\]\(((?:https?:\/\/|\/)[^\s)]+)\)|(https?:\/\/[^\s)]+)/g;

  var BOLD = /\*\*([^*]+)\*\*/g;

  // **bold** and links only; everything else stays literal text.
  function appendText(el, text) {
    var last = 0, m;
    BOLD.lastIndex = 0;
    while ((m = BOLD.exec(text)) !== null) {
      appendLinks(el, text.slice(last, m.index));
      var strong = document.createElement("strong");
      appendLinks(strong, m[1]);
      el.appendChild(strong);
      last = BOLD.lastIndex;
    }
    appendLinks(el, text.slice(last));
  }

  function appendLinks(el, text) {
    var last = 0, m;
    LINK.lastIndex = 0;
    while ((m = LINK.exec(text)) !== null) {
      el.appendChild(document.createTextNode(text.slice(last, m.index)));
      var a = document.createElement("a");
      a.href = m[2] || m[3];
      a.textContent = m[1] || m[3];
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      el.appendChild(a);
      last = LINK.lastIndex;
    }
    el.appendChild(document.createTextNode(text.slice(last)));
  }

  function start(config) {
    var log = document.getElementById("tier0-log");
    var form = document.getElementById("tier0-form");
    var input = document.getElementById("tier0-input");
    var status = document.getElementById("tier0-status");
    var key = "tier0.session_id";
    var sessionId = config.persist ? window.localStorage.getItem(key) : null;
    var socket = window.io(config.serverUrl, { path: "/socket.io", transports: ["websocket", "polling"] });

    function add(sender, text, buttons) {
      var div = document.createElement("div");
      div.className = "msg " + sender;
      if (text) appendText(div, text);
      if (buttons && buttons.length) {
        var row = document.createElement("div");
        row.className = "buttons";
        buttons.forEach(function (b) {
          var btn = document.createElement("button");
          btn.type = "button";
          btn.textContent = b.title;
          btn.addEventListener("click", function () { send(b.payload, b.title); });
          row.appendChild(btn);
        });
        div.appendChild(row);
      }
      log.appendChild(div);
      log.scrollTop = log.scrollHeight;
    }

    function send(payload, shown) {
      add("user", shown || payload);
      socket.emit("user_uttered", { message: payload, session_id: sessionId });
    }

    socket.on("connect", function () {
      status.textContent = "";
      socket.emit("session_request", { session_id: sessionId });
    });
    socket.on("session_confirm", function (data) {
      sessionId = (data && data.session_id) || data;
      if (config.persist) window.localStorage.setItem(key, sessionId);
    });
    socket.on("bot_uttered", function (msg) {
      add("bot", msg.text || "", msg.quick_replies || msg.buttons);
    });
    socket.on("disconnect", function () { status.textContent = "Connection lost, reconnecting…"; });
    socket.on("connect_error", function () { status.textContent = "The assistant is unreachable, retrying…"; });

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      input.value = "";
      send(text);
    });
  }

  window.Tier0Chat = { start: start };
})();
