"""Bad input at the channels: an over-long message gets a clear reply without reaching the NLU (on
REST and socket.io), control characters are dropped, a body that is not JSON gets a clear 400, and
the conversation goes on normally afterwards."""

from __future__ import annotations

import threading
import uuid

import httpx
import pytest
import socketio

from tests.e2e.conftest import user_turns
from tests.e2e.rest_chat import Chat, texts

pytestmark = pytest.mark.e2e

TOO_LONG = "That message is too long for me"


def test_a_one_megabyte_message_gets_the_too_long_reply_and_never_reaches_the_nlu(stack) -> None:
    chat = Chat(stack, "long")
    reply = chat.say("x" * 1_000_000)
    assert TOO_LONG in reply and "1,000,000 characters" in reply and "person" in reply
    assert chat.last[-1]["buttons"][0]["payload"] == "/request_human"
    assert user_turns(stack, chat.conversation_id, expected=0, timeout=1) == []  # nothing was parsed or stored
    # the conversation goes on as usual
    assert "Let's" in chat.say("my wifi keeps dropping")


def test_a_message_at_the_limit_is_read_as_usual(stack) -> None:
    chat = Chat(stack, "limit")
    reply = chat.say(("my printer is offline " * 200)[:2000])
    assert TOO_LONG not in reply


def test_other_conversations_go_on_while_a_huge_message_is_refused(stack) -> None:
    replies: dict[str, str] = {}

    def huge() -> None:
        replies["huge"] = texts(stack.say(f"huge-{uuid.uuid4().hex[:6]}", "y" * 1_000_000))

    worker = threading.Thread(target=huge)
    worker.start()
    normal = Chat(stack, "alongside")
    assert "Hi" in normal.say("hello")
    worker.join(timeout=30)
    assert TOO_LONG in replies["huge"]


def test_control_characters_are_dropped_before_anything_reads_the_message(stack) -> None:
    chat = Chat(stack, "control")
    reply = chat.say("my wifi\x00\x07 keeps\x1b dropping\x7f")
    assert "Let's" in reply
    assert user_turns(stack, chat.conversation_id, expected=1) == ["my wifi keeps dropping"]


def test_a_body_that_is_not_json_gets_a_clear_400(stack) -> None:
    r = httpx.post(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        content=b'{"sender": "bad", "message": "caf\xe9 \xff"}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400 and "json" in r.text.lower()


def test_socketio_refuses_the_over_long_message_too(stack) -> None:
    client = socketio.Client(reconnection=False)
    got: list[dict] = []
    done = threading.Event()
    session = f"sio-long-{uuid.uuid4().hex[:8]}"

    @client.on("bot_uttered")
    def on_bot(data: dict) -> None:
        got.append(data)
        done.set()

    client.connect(stack.rasa_url, transports=["websocket"], socketio_path="/socket.io")
    try:
        client.emit("session_request", {"session_id": session})
        client.emit("user_uttered", {"message": "z" * 5000, "session_id": session})
        assert done.wait(15)
    finally:
        client.disconnect()
    assert TOO_LONG in got[0]["text"]
