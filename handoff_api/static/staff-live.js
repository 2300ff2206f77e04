// The ticket page's live feed: new turns of the conversation appear as they are written (the
// customer's while an agent holds the chat, the agent's, the bot's), from server-sent events. The
// page works without it; this only saves the agent from reloading.
(() => {
  const live = document.getElementById("live");
  const chat = document.getElementById("chat");
  if (!live || !chat || !window.EventSource) return;
  const count = document.querySelector("#transcript-h .count");
  const change = live.querySelector(".holder-change");
  const label = (turn) => (turn.sender === "customer" ? "Customer" : turn.sender === "agent" ? turn.author || "Agent" : "Bot");
  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text; // turns are text, never markup
    return node;
  };
  const url = `/staff/tickets/${encodeURIComponent(live.dataset.ticket)}/live?after=${live.dataset.lastTurn}`;
  const source = new EventSource(url);
  source.addEventListener("turn", (event) => {
    const turn = JSON.parse(event.data);
    const bubble = el("div", "bubble");
    const time = el("time", "", new Date(turn.time).toLocaleTimeString());
    bubble.append(el("span", "sender", label(turn)), time, el("p", "text", turn.text));
    const item = el("li", `turn turn-${turn.sender} turn-new`);
    item.append(bubble);
    chat.append(item);
    if (count) count.textContent = `${chat.children.length} turns`;
  });
  const typing = live.querySelector(".customer-typing");
  source.addEventListener("typing", (event) => {
    if (typing) typing.hidden = !JSON.parse(event.data).customer;
  });
  // The customer sees "<name> is typing" while the agent types (at most one signal per 2 s).
  const box = live.querySelector(".send textarea");
  const csrf = live.querySelector(".send input[name=csrf_token]");
  let sentAt = 0;
  if (box && csrf) {
    box.addEventListener("input", () => {
      const now = Date.now();
      if (!box.value || now - sentAt < 2000) return;
      sentAt = now;
      fetch(`/api/tickets/${encodeURIComponent(live.dataset.ticket)}/typing`, {
        method: "POST",
        headers: { "X-CSRF-Token": csrf.value },
        credentials: "same-origin",
      }).catch(() => {}); // an indicator that does not arrive is no loss
    });
  }
  source.addEventListener("holder", (event) => {
    const { name } = JSON.parse(event.data);
    if ((name || "") === live.dataset.holder || !change) return;
    change.textContent = name
      ? `${name} now holds this chat. Reload the page for its controls.`
      : "The chat went back to the assistant. Reload the page for its controls.";
    change.hidden = false;
  });
})();
