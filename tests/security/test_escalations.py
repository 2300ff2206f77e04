"""No lost escalation: what the customer was told was saved arrives as a ticket, also when a turn
is over the API's limit and when the API refuses the escalation outright."""

from __future__ import annotations

import pytest

from tests.e2e.rest_chat import Chat
from tests.stack import start_process

pytestmark = pytest.mark.e2e


def test_a_6000_character_message_then_a_person_becomes_a_ticket(stack) -> None:
    chat = Chat(stack, "long-escalation")
    chat.say("my wifi keeps dropping " * 261)  # 6,003 characters
    reply = chat.say("talk to a person")
    ticket = chat.ticket(reply)
    assert ticket["conversation_id"] == chat.conversation_id
    assert any("talk to a person" in t["text"] for t in ticket["transcript"])


def test_an_escalation_the_api_refuses_still_becomes_a_ticket_with_an_alert(stack) -> None:
    """The handoff service is restarted with a turn limit below the bot's: it refuses the bot's
    fitted ticket (422), and the bot files its last-resort ticket with an alert for the staff."""
    stack.stop("handoff")
    original = stack.env
    # Below the bot's 5,000 but above the 500 of its last-resort ticket.
    stack.env = {**original, "MAX_TURN_CHARS": "800"}
    try:
        start_process(stack, "handoff")
        chat = Chat(stack, "refused-escalation")
        chat.say(("my wifi keeps dropping every evening on my laptop " * 20)[:1500])
        reply = chat.say("talk to a person")
        ticket = chat.ticket(reply)  # the customer is given the real ticket number
        assert ticket["conversation_id"] == chat.conversation_id
        assert "refused" in (ticket.get("alert") or "") and "HTTP 422" in ticket["alert"]
        assert any("talk to a person" in t["text"] for t in ticket["transcript"])
    finally:
        stack.stop("handoff")
        stack.env = original
        start_process(stack, "handoff")
