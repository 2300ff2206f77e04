"""Live takeover over the real stack: a customer in the socket.io channel asks for a person, an agent
joins through the staff API, they write to each other, a second agent has to take the chat over
explicitly, and the bot answers again after the hand-back. Rasa, the action server and the handoff
service are the real processes; the customer is a python-socketio client, as the widget is one."""

from __future__ import annotations

import base64
import queue
import re
import time
import uuid

import httpx
import pytest
import socketio

from tests.e2e.conftest import create_staff

pytestmark = pytest.mark.e2e

ANA = ("ana.lopez@nimbus.example", "Ana Lopez", "ana's long password 1")
BEN = ("ben.okafor@nimbus.example", "Ben Okafor", "ben's long password 2")
QUIET_SECONDS = 4  # long enough for the bot to have answered, had it not been paused


def basic(agent: tuple[str, str, str]) -> dict[str, str]:
    email, _name, password = agent
    return {"Authorization": "Basic " + base64.b64encode(f"{email}:{password}".encode()).decode()}


class WidgetCustomer:
    """A socket.io customer with a persistent session, as the widget connects."""

    def __init__(self, rasa_url: str, origin: str | None = None) -> None:
        self.session_id = uuid.uuid4().hex
        self.received: queue.Queue = queue.Queue()
        # A browser sends its page's origin, which Rasa checks (RASA_CORS_ORIGINS); by default
        # the client sends the server's own, as a page served by Rasa would.
        extra = {"websocket_extra_options": {"origin": origin}} if origin else {}
        self.client = socketio.Client(reconnection=False, **extra)
        confirmed: queue.Queue = queue.Queue()
        self.client.on("session_confirm", confirmed.put)
        self.client.on("bot_uttered", self.received.put)
        self.typing: queue.Queue = queue.Queue()
        self.client.on("agent_typing", self.typing.put)
        self.client.connect(rasa_url, transports=["websocket"], socketio_path="/socket.io")
        self.client.emit("session_request", {"session_id": self.session_id})
        assert confirmed.get(timeout=10) == self.session_id

    def say(self, text: str) -> None:
        self.client.emit("user_uttered", {"message": text, "session_id": self.session_id})

    def next(self, timeout: float = 30) -> dict:
        return self.received.get(timeout=timeout)

    def until(self, predicate, timeout: float = 30) -> list[dict]:  # noqa: ANN001
        """Messages received until one matches `predicate` (that one last)."""
        got, deadline = [], time.monotonic() + timeout
        while True:
            message = self.received.get(timeout=max(0.1, deadline - time.monotonic()))
            got.append(message)
            if predicate(message):
                return got

    def quiet(self, seconds: float = QUIET_SECONDS) -> list[dict]:
        """Whatever arrives within `seconds` (nothing, while the bot is paused)."""
        got, deadline = [], time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                got.append(self.received.get(timeout=left))
            except queue.Empty:
                break
        return got

    def close(self) -> None:
        self.client.disconnect()


def hand_over(customer: WidgetCustomer) -> str:
    customer.say("my wifi keeps disconnecting every few minutes on my laptop")
    customer.next()
    customer.quiet(2)  # the rest of the bot's turn
    customer.say("I want to talk to a real person")
    messages = customer.until(lambda m: re.search(r"NIM-\d{6}", m.get("text", "")) is not None)
    customer.quiet(2)
    return re.search(r"NIM-\d{6}", messages[-1]["text"]).group(0)


@pytest.fixture
def agents(stack) -> dict[str, dict[str, str]]:
    for agent in (ANA, BEN):
        create_staff(stack, *agent)
    return {"ana": basic(ANA), "ben": basic(BEN)}


def api(stack, method: str, path: str, auth: dict[str, str], body: dict | None = None) -> httpx.Response:
    return httpx.request(method, f"{stack.handoff_url}/api/tickets{path}", headers=auth, json=body, timeout=30)


def test_an_agent_joins_the_chat_the_bot_stays_quiet_and_answers_again_after_the_hand_back(stack, agents) -> None:
    customer = WidgetCustomer(stack.rasa_url)
    try:
        ticket_id = hand_over(customer)

        joined = api(stack, "POST", f"/{ticket_id}/takeover", agents["ana"])
        assert joined.status_code == 200, joined.text
        assert joined.json()["held_by"] == ANA[0] and joined.json()["status"] == "open"
        notice = customer.next()
        assert notice["text"] == "Ana from Nimbus support has joined the chat."
        assert notice["metadata"]["agent"] == {"name": "Ana Lopez", "initial": "A"}

        # Paused: a customer message over socket.io or REST is kept, never answered by the bot.
        customer.say("are you a real person?")
        assert customer.quiet() == []
        assert stack.say(customer.session_id, "hello? anyone there") == []

        assert api(stack, "POST", f"/{ticket_id}/typing", agents["ana"]).status_code == 204
        assert customer.typing.get(timeout=10)["agent"] == {"name": "Ana Lopez", "initial": "A"}
        sent = api(stack, "POST", f"/{ticket_id}/messages", agents["ana"], {"text": "Yes, I'm Ana. Let's fix it."})
        assert sent.status_code == 201, sent.text
        message = customer.next()
        assert message["text"] == "Yes, I'm Ana. Let's fix it." and message["metadata"]["agent"]["name"] == "Ana Lopez"

        # A second agent cannot join a held chat without taking it over explicitly.
        refused = api(stack, "POST", f"/{ticket_id}/takeover", agents["ben"])
        assert refused.status_code == 409 and "Ana Lopez" in refused.json()["detail"]
        taken = api(stack, "POST", f"/{ticket_id}/takeover", agents["ben"], {"force": True})
        assert taken.status_code == 200 and taken.json()["held_by"] == BEN[0]
        assert customer.next()["text"] == "Ben from Nimbus support has joined the chat."
        not_holder = api(stack, "POST", f"/{ticket_id}/messages", agents["ana"], {"text": "still me"})
        assert not_holder.status_code == 409
        assert customer.quiet(1) == []

        released = api(stack, "POST", f"/{ticket_id}/release", agents["ben"])
        assert released.status_code == 200 and released.json()["held_by"] is None
        back = customer.next()
        assert "handing you back to our assistant" in back["text"] and back["metadata"]["notice"] == "released"

        customer.say("hello")
        answer = customer.next()
        assert "Nimbus assistant" in answer["text"] and "metadata" not in answer

        # The ticket holds every turn since it was made, in order, with who wrote it.
        deadline = time.monotonic() + 15
        while True:
            ticket = api(stack, "GET", f"/{ticket_id}", agents["ben"]).json()
            later = [(t["sender"], t.get("author"), t["text"]) for t in ticket["transcript"]]
            if ("customer", None, "hello") in later and later[-1][0] == "bot" or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        start = later.index(("agent", "Ana Lopez", "Ana from Nimbus support has joined the chat."))
        assert (
            later[start:]
            == [
                ("agent", "Ana Lopez", "Ana from Nimbus support has joined the chat."),
                ("customer", None, "are you a real person?"),
                ("customer", None, "hello? anyone there"),
                ("agent", "Ana Lopez", "Yes, I'm Ana. Let's fix it."),
                ("agent", "Ben Okafor", "Ben from Nimbus support has joined the chat."),
                (
                    "agent",
                    "Ben Okafor",
                    "I'm handing you back to our assistant now. If you need a person again, just ask for one.",
                ),
                ("customer", None, "hello"),
            ]
            + later[start + 7 :]
        )
        assert later[start + 7 :] and {s for s, _a, _t in later[start + 7 :]} == {"bot"}
        assert [a["action"] for a in ticket["audit"]][-3:] == ["takeover_forced", "assignee_changed", "released"]
    finally:
        customer.close()


def test_closing_the_chat_resolves_the_ticket_and_tells_the_customer(stack, agents) -> None:
    customer = WidgetCustomer(stack.rasa_url)
    try:
        ticket_id = hand_over(customer)
        assert api(stack, "POST", f"/{ticket_id}/takeover", agents["ana"]).status_code == 200
        customer.next()
        closed = api(stack, "POST", f"/{ticket_id}/release", agents["ana"], {"resolve": True})
        assert closed.status_code == 200 and closed.json()["status"] == "resolved"
        goodbye = customer.next()
        assert "closed the chat" in goodbye["text"] and goodbye["metadata"]["notice"] == "closed"
        customer.say("thanks")
        assert customer.next()["text"]  # the bot is back for whatever comes next
    finally:
        customer.close()


def test_the_staff_api_refuses_what_it_cannot_do(stack, agents) -> None:
    bot = {"Authorization": f"Bearer {stack.bot_token}"}
    assert api(stack, "POST", "/NIM-000000/takeover", agents["ana"]).status_code == 404
    customer = WidgetCustomer(stack.rasa_url)
    try:
        ticket_id = hand_over(customer)
        assert api(stack, "POST", f"/{ticket_id}/takeover", bot).status_code == 401  # staff only
        assert api(stack, "POST", f"/{ticket_id}/messages", agents["ana"], {"text": "hi"}).status_code == 409
        assert api(stack, "POST", f"/{ticket_id}/release", agents["ana"]).status_code == 409
        assert api(stack, "POST", f"/{ticket_id}/typing", agents["ana"]).status_code == 409
        typing = f"{stack.handoff_url}/api/conversations/{customer.session_id}/typing"
        assert httpx.post(typing, headers=agents["ana"]).status_code == 401  # the bot's token only
        assert httpx.post(typing, headers=bot).status_code == 204  # nobody holds it: nothing happens
        assert api(stack, "POST", f"/{ticket_id}/takeover", agents["ana"]).status_code == 200
        customer.next()
        assert api(stack, "POST", f"/{ticket_id}/messages", agents["ana"], {"text": "   "}).status_code == 422
        too_long = {"text": "x" * 5001}
        assert api(stack, "POST", f"/{ticket_id}/messages", agents["ana"], too_long).status_code == 422
        assert api(stack, "POST", f"/{ticket_id}/takeover", agents["ana"], {"forse": True}).status_code == 422
        # Joining again is harmless: no second "has joined".
        assert api(stack, "POST", f"/{ticket_id}/takeover", agents["ana"]).status_code == 200
        assert customer.quiet(1) == []
        assert api(stack, "POST", f"/{ticket_id}/release", agents["ana"]).status_code == 200
    finally:
        customer.close()
