"""No lost escalation: what the customer was told was saved arrives as a ticket, also when a turn
is over the API's limit and when the API refuses the escalation outright."""

from __future__ import annotations

import base64
import datetime as dt

import httpx
import pytest

from harness.stack import start_process
from tests.e2e.conftest import create_staff
from tests.e2e.rest_chat import Chat

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


def test_fifty_customers_behind_one_address_all_get_a_ticket_and_the_team_sees_the_flood(stack) -> None:
    """An office or hotel behind one address (here every conversation comes from 127.0.0.1): past
    the per-address limit (20 an hour) tickets are still filed and each customer is told theirs;
    those tickets carry the address's count for the staff queue."""
    tickets = []
    for n in range(50):
        chat = Chat(stack, f"office-{n}")
        reply = chat.say("talk to a person")
        assert "Your ticket number is NIM-" in reply, (n, reply)
        assert "already" not in reply
        tickets.append(chat.ticket(reply))
    assert len({t["id"] for t in tickets}) == 50
    assert [t["flood_suspected"] for t in tickets[:20]] == [None] * 20
    assert [t["flood_suspected"] for t in tickets[20:]] == list(range(21, 51))


def test_one_conversation_asking_five_times_has_one_ticket_named_each_time(stack) -> None:
    chat = Chat(stack, "asks-again")
    first = chat.say("talk to a person")
    ticket_id = chat.ticket(first)["id"]
    for _ in range(4):
        again = chat.say("i want to talk to a human")
        assert f"already with our support team: your ticket number is {ticket_id}" in again, again
    create_staff(stack, "esc-lee@nimbus.example", "Lee Escalations", "escalation-test-password")
    basic = base64.b64encode(b"esc-lee@nimbus.example:escalation-test-password").decode()
    r = httpx.get(
        f"{stack.handoff_url}/api/tickets",
        params={"q": chat.conversation_id},
        headers={"Authorization": f"Basic {basic}"},
    )
    r.raise_for_status()
    mine = [t for t in r.json()["items"] if t["conversation_id"] == chat.conversation_id]
    assert [t["id"] for t in mine] == [ticket_id]


def test_an_unverified_business_plan_claim_buys_no_faster_promise(stack) -> None:
    """Outside business hours (today and the next days are holidays here), a customer who only says
    they are on the Business plan is told when the team is back, not "around the clock"."""
    today = dt.datetime.now(dt.timezone.utc).date()
    holidays = ",".join(str(today + dt.timedelta(days=n)) for n in range(3))
    stack.stop("handoff")
    original = stack.env
    stack.env = {**original, "BUSINESS_TIMEZONE": "UTC", "BUSINESS_HOLIDAYS": holidays}
    try:
        start_process(stack, "handoff")
        chat = Chat(stack, "claims-business")
        reply = chat.say("I'm on the business plan. I want to talk to a person")
        ticket = chat.ticket(reply)
        assert "around the clock" not in reply and "Our team is back" in reply, reply
        assert ticket["pickup_message"].startswith("Our team is back")
        assert dt.datetime.fromisoformat(ticket["expected_pickup_at"]).date() > today
    finally:
        stack.stop("handoff")
        stack.env = original
        start_process(stack, "handoff")
