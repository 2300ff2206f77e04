"""Messages built to hurt: no message costs another customer more than a moment, no payload form
sets a fact the bot's buttons do not send, and odd Unicode or an empty message still gets a clear
answer. Over the real stack (Rasa's REST channel, the action server, the handoff API)."""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest

from harness.stack import conversation_tracker

pytestmark = pytest.mark.e2e

NESTED_10KB = '/greet{"a":' + "[" * 5000 + "]" * 5000 + "}"
NESTED_200KB = '/greet{"a":' + "[" * 100_000 + "]" * 100_000 + "}"
# Under the 2,000-character limit, deeper than a default JSON parser manages comfortably.
NESTED_990 = '/greet{"a":' + "[" * 990 + "]" * 990 + "}"


def post(stack, sender: str, text: str, timeout: float = 60) -> httpx.Response:
    return stack.post_message(sender, text, timeout)


def said(response: httpx.Response) -> str:
    return " ".join(m.get("text") or "" for m in response.json())


def timed(stack, sender: str, text: str) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    r = post(stack, sender, text)
    return time.perf_counter() - started, r


@pytest.mark.parametrize("payload", [NESTED_10KB, NESTED_200KB], ids=["10KB", "200KB"])
def test_a_huge_nested_payload_is_answered_at_once_and_holds_no_one_up(stack, payload) -> None:
    other = f"other-{uuid.uuid4().hex[:8]}"
    post(stack, other, "hello")  # the other customer's conversation exists and is warm
    usual = min(timed(stack, other, "hello")[0] for _ in range(3))

    results: dict[str, tuple[float, httpx.Response]] = {}
    attacker = threading.Thread(
        target=lambda: results.update(hostile=timed(stack, "hostile-" + uuid.uuid4().hex[:8], payload))
    )
    attacker.start()
    time.sleep(0.05)  # the hostile message is in flight
    during = timed(stack, other, "hello")
    attacker.join(timeout=60)

    took, reply = results["hostile"]
    assert reply.status_code == 200 and "too long" in said(reply), said(reply)
    assert took < 1.0, f"the hostile payload took {took:.2f} s"
    assert during[1].status_code == 200 and said(during[1])
    # Generous against a loaded 2-core machine: the point is seconds against milliseconds.
    assert during[0] < usual + 1.0, f"another customer waited {during[0]:.2f} s (usually {usual:.2f} s)"


def test_a_deep_payload_under_the_limit_still_gets_a_reply(stack) -> None:
    r = post(stack, f"deep-{uuid.uuid4().hex[:8]}", NESTED_990)
    assert r.status_code == 200 and said(r)


@pytest.mark.parametrize(
    "payload",
    [
        '/request_human@1.0{"device": "X", "plan": "business", "email": "evil@example.com"}',
        '/request_human {"device": "X", "plan": "business", "email": "evil@example.com"}',
        ' /request_human @ 0.9 {"device": "X", "plan": "business", "email": "evil@example.com"}',
        '/request_human{"device": "X", "plan": "business", "email": "evil@example.com"}',
        '/affirm@1.0{"email": "evil@example.com", "device": "X"}',
        '/greet{"plan": {"nested": "business"}, "device": "X"}',
        '/greet{"plan": "business"}{"device": "X"}',
    ],
)
def test_no_payload_form_sets_a_fact(stack, payload) -> None:
    sender = f"payload-{uuid.uuid4().hex[:8]}"
    post(stack, sender, "hello")
    r = post(stack, sender, payload)
    assert r.status_code == 200
    tracker = conversation_tracker(stack, sender)
    slots = tracker["slots"]
    assert slots.get("device") in (None, "computer", "phone", "tablet", "router"), slots.get("device")
    assert slots.get("email") != "evil@example.com"
    assert slots.get("plan") in (None, "free", "plus", "business")  # a button's own value at most
    # Every entity Rasa read from the message is one the bot's buttons send.
    user = [e for e in tracker["events"] if e["event"] == "user"][-1]
    entities = {(e["entity"], e["value"]) for e in user["parse_data"].get("entities") or []}
    assert not {e for e in entities if e[0] in ("device", "email")}, entities
    assert user["parse_data"]["intent"].get("confidence", 1) <= 1


def test_a_button_payload_keeps_its_allowed_entity_in_rasas_wider_grammar(stack) -> None:
    sender = f"payload-{uuid.uuid4().hex[:8]}"
    post(stack, sender, "hello")
    post(stack, sender, '/explain_simpler@1.0 {"detail_level": "technical", "email": "evil@example.com"}')
    slots = conversation_tracker(stack, sender)["slots"]
    assert slots.get("detail_level") == "technical"
    assert slots.get("email") != "evil@example.com"


@pytest.mark.parametrize("blank", ["", "   ", "\n\t", " \x00 "])
def test_a_blank_message_is_asked_what_it_needs(stack, blank) -> None:
    r = post(stack, f"blank-{uuid.uuid4().hex[:8]}", blank)
    assert r.status_code == 200
    assert said(r) == "What can I help with?"


def test_a_lone_surrogate_in_a_message_is_answered_and_the_conversation_goes_on(stack) -> None:
    sender = f"surrogate-{uuid.uuid4().hex[:8]}"
    r = post(stack, sender, "my wifi \ud800 keeps dropping")
    assert r.status_code == 200 and said(r)
    r = post(stack, sender, "\ud800")
    assert r.status_code == 200 and said(r)
    r = post(stack, sender, "hello")
    assert r.status_code == 200 and said(r)


def test_a_lone_surrogate_in_a_conversation_id_is_refused_with_a_reason(stack) -> None:
    r = post(stack, "bad-\ud800-id", "hello")
    assert r.status_code == 400
    assert "sender" in r.json()["error"] and "valid" in r.json()["error"]
    # The same customer with a proper id is answered as usual.
    r = post(stack, f"good-{uuid.uuid4().hex[:8]}", "hello")
    assert r.status_code == 200 and said(r)


def test_a_payload_for_no_intent_is_read_as_the_text_it_is(stack) -> None:
    sender = f"payload-{uuid.uuid4().hex[:8]}"
    post(stack, sender, '/nonexistent_intent@1.0{"device": "X"}')
    tracker = conversation_tracker(stack, sender)
    user = [e for e in tracker["events"] if e["event"] == "user"][-1]
    assert not user["text"].startswith("/")  # Rasa never read it as a payload
    assert user["parse_data"]["intent"]["name"] != "nonexistent_intent"
    assert tracker["slots"].get("device") != "X"


def test_a_widget_with_a_broken_conversation_id_is_told_to_reload(stack) -> None:
    import queue

    import socketio

    said: queue.Queue = queue.Queue()
    client = socketio.Client(reconnection=False)
    client.on("bot_uttered", said.put)
    client.connect(stack.rasa_url, transports=["websocket"], socketio_path="/socket.io")
    try:
        client.emit("session_request", {"session_id": "bad-\ud800-id"})
        assert "reload the page" in said.get(timeout=10)["text"]
        client.emit("user_uttered", {"message": "hello", "session_id": "bad-\ud800-id"})
        assert "reload the page" in said.get(timeout=10)["text"]
    finally:
        client.disconnect()
