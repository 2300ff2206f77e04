"""A fuzz run of the customer channels (REST and socket.io) against the running stack: random
Unicode, control characters, lone surrogates, huge, empty and malformed messages, and a button
payload for every intent carrying every slot. No server error, no slot set from a payload beyond
what the bot's own buttons send, and every conversation still answers afterwards."""

from __future__ import annotations

import json
import queue
import random
import uuid

import httpx
import pytest
import socketio
import yaml

from harness.stack import ROOT, conversation_tracker

pytestmark = pytest.mark.e2e

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
INTENTS = [i if isinstance(i, str) else next(iter(i)) for i in DOMAIN["intents"]]
SLOTS = list(DOMAIN["slots"])
MARKER = "fuzz-7f3a"
# What the bot's own buttons may put into a payload (bot/channels.py, in Rasa's environment).
PAYLOAD_ENTITIES = {"detail_level": {"plain", "technical"}, "plan": {"free", "plus", "business"}}
# Messages per conversation before the next one: below the per-conversation rate limit.
PER_CONVERSATION = 20


def fuzz_texts(seed: int = 20261203, count: int = 40) -> list[str]:
    rng = random.Random(seed)
    alphabets = [
        (0x20, 0x7E),  # ASCII
        (0x00, 0x1F),  # C0 control characters
        (0x80, 0x9F),  # C1 control characters
        (0x0590, 0x06FF),  # Hebrew, Arabic (right to left)
        (0x200B, 0x202E),  # zero-width and direction marks
        (0x4E00, 0x4FFF),  # CJK
        (0x1F300, 0x1F6FF),  # emoji
        (0xFFF0, 0xFFFF),  # specials and non-characters
    ]
    texts = [
        "",
        " ",
        "\n\t\n",
        "\ud800",  # a lone surrogate: valid JSON, not valid UTF-8
        "a\x00b",
        "/",
        "/{}",
        "/greet{",
        '/greet{"email": ',
        "/not_an_intent",
        '/greet{"email": "x@example.com"}' * 50,
        "[" * 5000,
        '{"message": "nested"}',
        "x" * 2001,
        "🙂" * 1999,
        "%s%n%x" * 20,
        "<script>alert(1)</script>",
        "'; DROP TABLE events; --",
        "\u202egnorw si siht",
    ]
    for _ in range(count):
        low, high = rng.choice(alphabets)
        texts.append("".join(chr(rng.randint(low, high)) for _ in range(rng.randint(1, 300))))
    texts.append("z" * 300_000)
    return texts


def every_slot_payloads() -> list[str]:
    values = {slot: MARKER for slot in SLOTS}
    return [f"/{intent}{json.dumps(values)}" for intent in INTENTS]


def tracker_slots(stack, sender: str) -> dict:
    return conversation_tracker(stack, sender)["slots"]


def post(stack, sender: str, text: str) -> httpx.Response:
    return stack.post_message(sender, text, timeout=60)


def test_rest_fuzz_gives_no_server_error_sets_no_forbidden_slot_and_loses_no_conversation(stack) -> None:
    messages = fuzz_texts() + every_slot_payloads()
    senders: list[str] = []
    failures = []
    for index, text in enumerate(messages):
        if index % PER_CONVERSATION == 0:
            senders.append(f"fuzz-{uuid.uuid4().hex[:8]}")
            stack.reset_limits()
        r = post(stack, senders[-1], text)
        if r.status_code >= 500 or r.status_code not in (200, 400, 413):
            failures.append((text[:60], r.status_code, r.text[:200]))
    assert not failures, failures
    for name in ("rasa", "actions", "handoff"):
        assert stack.processes[name].poll() is None, f"{name} died:\n{stack.log(name)[-3000:]}"
    stack.reset_limits()
    for sender in senders:
        slots = tracker_slots(stack, sender)
        forged = {k: v for k, v in slots.items() if isinstance(v, str) and MARKER in v}
        forged |= {k: v for k, v in slots.items() if isinstance(v, list) and MARKER in str(v)}
        assert not forged, (sender, forged)
        allowed = {k: v for k, v in slots.items() if k in PAYLOAD_ENTITIES and v is not None}
        assert all(v in PAYLOAD_ENTITIES[k] for k, v in allowed.items()), allowed
        reply = post(stack, sender, "hello")
        assert reply.status_code == 200 and reply.json(), f"{sender} no longer answers"


def test_socketio_fuzz_keeps_the_session_answering(stack) -> None:
    events: queue.Queue = queue.Queue()
    client = socketio.Client(reconnection=False)
    client.on("bot_uttered", lambda data: events.put(data))
    client.on("session_confirm", lambda data: events.put({"confirmed": data}))
    session_id = uuid.uuid4().hex
    client.connect(stack.rasa_url, transports=["websocket"], socketio_path="/socket.io")
    try:
        client.emit("session_request", {"session_id": session_id})
        assert events.get(timeout=10) == {"confirmed": session_id}
        odd_events = [None, 42, "text", [1, 2], {"message": None}, {"message": 5}, {"session_id": session_id}]
        for data in odd_events:
            client.emit("user_uttered", data)
        for text in fuzz_texts(seed=7, count=15)[:-1]:  # the 300 KB text is over the transport's frame size
            client.emit("user_uttered", {"message": text, "session_id": session_id})
        stack.reset_limits()
        while not events.empty():
            events.get_nowait()
        client.emit("user_uttered", {"message": "hello", "session_id": session_id})
        reply = events.get(timeout=60)
        while "Nimbus assistant" not in (reply.get("text") or ""):
            reply = events.get(timeout=60)
        assert client.connected
    finally:
        client.disconnect()
    for name in ("rasa", "actions", "handoff"):
        assert stack.processes[name].poll() is None, f"{name} died:\n{stack.log(name)[-3000:]}"
