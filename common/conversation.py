"""A Rasa conversation's events, read one way everywhere: what an event is as a transcript turn (who
wrote it, the text the customer saw, intent and confidence, time), when a one-time code is expected
(so the customer's next message is masked as one), and why a conversation was handed to a person.

Standard library only (and common/): the Rasa process (its tracker store), the action server (a
ticket's transcript), the handoff service (the live transcript of a ticket) and the insights (the
review inbox and analytics) all import it, in two Python environments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from common.event_metadata import AGENT, NOTICE, ROUTED_AGAIN
from common.redaction import CODE_SLOT, code_expected_after, redact, redact_entities

# Why the bot handed a conversation to a person, and how a person reads it (tickets, the bot's
# handoff message, the analytics).
ESCALATION_REASONS: dict[str, str] = {
    "customer_asked": "Customer asked for a person",
    "customer_frustrated": "Customer is frustrated",
    "low_confidence": "The bot did not understand the customer",
    "no_kb_answer": "No knowledge-base article answered the question",
    "repeated_failure": "Troubleshooting did not solve the problem",
    "account_action": "The account action needs a person",
}
CUSTOMER, BOT, PERSON = "customer", "bot", "agent"


def shown_text(event: dict[str, Any]) -> tuple[str, bool]:
    """What the customer saw themselves send, and whether it was a tap: a tapped button shows as
    its title ("Talk to a person", not "/request_human") when the widget said which it was; a bare
    "/intent" payload as itself."""
    text = str(event.get("text") or "")
    if not text.startswith("/"):
        return text, False
    title = (event.get("metadata") or {}).get("button_title")
    return (title.strip() if isinstance(title, str) and title.strip() else text), True


def routed_again(event: dict[str, Any]) -> bool:
    """A user event the bot added itself, to re-read a message the customer typed once."""
    return bool((event.get("metadata") or {}).get(ROUTED_AGAIN))


class CodeWatch:
    """Follows a conversation to know when its next customer message answers "type the 6-digit
    code" (then any 6 digits in it are the code, masked). From events: while the bot's open form
    question is the code slot. From a transcript alone (no slots): when the bot's last message asked
    for the code."""

    def __init__(self) -> None:
        self.requested: Any = None
        self.asked_in_words = False

    def see_slot(self, name: str | None, value: Any) -> None:
        if name == "requested_slot":
            self.requested = value

    def see_bot_text(self, text: str | None) -> None:
        self.asked_in_words = code_expected_after(text)

    def see(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "slot":
            self.see_slot(event.get("name"), event.get("value"))
        elif kind == "bot":
            self.see_bot_text(event.get("text"))
        elif kind == "user":
            self.asked_in_words = False  # answered (or not): the words asked for one message

    @property
    def expecting_code(self) -> bool:
        return self.requested == CODE_SLOT or self.asked_in_words


@dataclass(frozen=True)
class Turn:
    """One line of a transcript: a customer's message as they saw it (masked), the bot's answer, or
    a person's message in the chat (the live takeover)."""

    time: dt.datetime
    sender: str  # CUSTOMER, BOT or PERSON
    text: str
    intent: str | None = None
    confidence: float | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    tapped: bool = False
    author: str | None = None  # the person who wrote it
    notice: str | None = None  # a line about the chat itself ("joined", "closed"), not an answer

    def as_payload(self) -> dict[str, Any]:
        """The turn as the handoff API takes it in a new ticket's transcript (what the NLU made of
        it only for the customer's turns)."""
        turn: dict[str, Any] = {"time": self.time.isoformat(), "sender": self.sender, "text": self.text}
        if self.sender == CUSTOMER:
            turn |= {"intent": self.intent, "confidence": self.confidence, "entities": self.entities}
        return turn


def event_time(event: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromtimestamp(float(event.get("timestamp") or 0.0), tz=dt.timezone.utc)


def turn_of(event: dict[str, Any], watch: CodeWatch | None = None) -> Turn | None:
    """The transcript turn of one Rasa event (as stored: a dict with "event"), or None for an event
    that is not one. `watch` has seen the events before this one (a code expected now?)."""
    kind = event.get("event")
    if kind == "user":
        if routed_again(event):
            return None
        parse = event.get("parse_data") or {}
        intent = parse.get("intent") or {}
        text, tapped = shown_text(event)
        confidence = intent.get("confidence")
        return Turn(
            event_time(event),
            CUSTOMER,
            redact(text, expecting_code=bool(watch and watch.expecting_code)),
            intent.get("name"),
            float(confidence) if confidence is not None else None,
            redact_entities(
                [{"entity": e.get("entity"), "value": str(e.get("value"))} for e in parse.get("entities") or []]
            ),
            tapped,
        )
    if kind == "bot" and (event.get("text") or (event.get("data") or {}).get("buttons")):
        metadata = event.get("metadata") or {}
        agent = metadata.get(AGENT) or {}
        text = redact(str(event.get("text") or ""))
        if isinstance(agent, dict) and agent.get("name"):
            notice = metadata.get(NOTICE) if isinstance(metadata.get(NOTICE), str) else None
            return Turn(event_time(event), PERSON, text, author=str(agent["name"]), notice=notice)
        return Turn(event_time(event), BOT, text)
    return None


def transcript(events: Iterable[dict[str, Any]]) -> list[Turn]:
    """Every turn of these events in order, secrets masked (a code typed when the bot asked for it,
    passwords, card numbers)."""
    watch = CodeWatch()
    turns = []
    for event in events:
        turn = turn_of(event, watch)
        if turn is not None:
            turns.append(turn)
        watch.see(event)
    return turns
