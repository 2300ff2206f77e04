"""One-time codes cannot be guessed by asking for new ones: codes per email hold across re-sends
and new conversations, and the customer is handed to a person."""

from __future__ import annotations

import pytest

from accounts.mail import read_outbox
from tests.e2e.rest_chat import Chat

pytestmark = pytest.mark.e2e


def test_the_fourth_code_cycle_for_one_email_is_refused_and_a_person_takes_over(stack) -> None:
    email = "alex@example.com"
    sent_before = len(read_outbox(stack.outbox, to=email))
    for cycle in range(3):
        chat = Chat(stack, f"codes-{cycle}")  # a new conversation each time: the count goes on
        chat.say("I forgot my password")
        assert "6-digit code" in chat.say(email)
        assert "isn't right" in chat.say("000001")
    assert len(read_outbox(stack.outbox, to=email)) == sent_before + 3
    chat = Chat(stack, "codes-4")
    chat.say("I forgot my password")
    reply = chat.say(email)
    assert "6-digit code" not in reply
    assert "sent to that email address in the last hour" in reply and "person" in reply
    assert len(read_outbox(stack.outbox, to=email)) == sent_before + 3  # no fourth code went out


def test_the_code_limit_message_names_the_limit_this_chat_reached(stack) -> None:
    """Four addresses in one chat: the fourth code is refused for the chat, and the reply says so
    rather than blaming the address (which has had no code at all)."""
    chat = Chat(stack, "codes-one-chat")
    chat.say("I forgot my password")
    for n in range(3):
        chat.say(f"someone{n}@example.com")
    reply = chat.say("someone3@example.com")
    assert "in this chat in the last hour" in reply and "person" in reply, reply
    assert "email address" not in reply.split("in this chat")[0]
    assert not read_outbox(stack.outbox, to="someone3@example.com")


def test_typing_the_email_again_does_not_restart_the_wrong_code_count(stack) -> None:
    email = "jordan@example.com"
    chat = Chat(stack, "codes-again")
    chat.say("my account is locked")
    chat.say(email)
    chat.say("000001")
    chat.say(email)  # "send me a new one"
    reply = chat.say("000002")
    assert "1 try left" in reply  # the count went on across the new code
    reply = chat.say("000003")
    assert "couldn't confirm" in reply and "NIM-" in reply  # third wrong code: a person takes over
