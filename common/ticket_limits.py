"""The limits of a ticket, as the handoff API enforces them and the bot respects them before it
sends one: an escalation the customer was told about must never be refused for its size.

`fit` shortens what is too long (a turn over the limit keeps its start and says how long it was);
`last_resort` is what is sent when the API refuses even that: the essentials and an alert for the
staff queue, so the customer's request still arrives.
"""

from __future__ import annotations

import copy
from typing import Any

MAX_TURN_CHARS = 5000
MAX_TURNS = 1000
MAX_SUMMARY_CHARS = 2000
MAX_CONVERSATION_ID_CHARS = 128
MAX_EMAIL_CHARS = 320
MAX_NAME_CHARS = 200
MAX_ARTICLE_ID_CHARS = 200
MAX_ALERT_CHARS = 500
# A count the tickets table stores in a 32-bit integer column (an address's escalations in an hour).
MAX_COUNT = 2**31 - 1
# Whole request body: well above a real conversation, below what would tie up the API's memory.
# A body over it is refused (413) and the bot's outbox sends its last-resort ticket instead.
MAX_REQUEST_BYTES = 16_000_000
# Of a conversation longer than MAX_TURNS: its first turns (the problem) and its last (the end).
KEEP_FIRST_TURNS = 100
LAST_RESORT_TURN_CHARS = 500
LAST_RESORT_TURNS = 40


def shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    marker = f" … [shortened: {len(text):,} characters]"
    return text[: max(0, limit - len(marker))] + marker


def fit(payload: dict[str, Any]) -> dict[str, Any]:
    """A copy of a ticket payload within every limit (nothing is refused for its size)."""
    ticket = copy.deepcopy(payload)
    turns = ticket.get("transcript") or []
    if len(turns) > MAX_TURNS:
        tail = MAX_TURNS - KEEP_FIRST_TURNS - 1
        dropped = len(turns) - KEEP_FIRST_TURNS - tail
        note = {"time": turns[KEEP_FIRST_TURNS].get("time"), "sender": "bot", "text": f"[{dropped} turns left out]"}
        turns = [*turns[:KEEP_FIRST_TURNS], note, *turns[-tail:]]
    ticket["transcript"] = [{**t, "text": shorten(str(t.get("text") or ""), MAX_TURN_CHARS)} for t in turns]
    ticket["summary"] = shorten(str(ticket.get("summary") or ""), MAX_SUMMARY_CHARS)
    ticket["conversation_id"] = str(ticket.get("conversation_id") or "")[:MAX_CONVERSATION_ID_CHARS]
    if ticket.get("customer_email") and len(ticket["customer_email"]) > MAX_EMAIL_CHARS:
        ticket["customer_email"] = None
    if ticket.get("customer_name"):
        ticket["customer_name"] = shorten(str(ticket["customer_name"]), MAX_NAME_CHARS)
    ticket["kb_articles"] = [str(a)[:MAX_ARTICLE_ID_CHARS] for a in ticket.get("kb_articles") or []]
    return ticket


def last_resort(payload: dict[str, Any], refusal: str) -> dict[str, Any]:
    """What can always be filed: who, why, the summary and the customer's last words, shortened,
    with an alert naming the refusal (the staff queue shows it)."""
    turns = [
        {**t, "text": shorten(str(t.get("text") or ""), LAST_RESORT_TURN_CHARS), "entities": []}
        for t in (payload.get("transcript") or [])[-LAST_RESORT_TURNS:]
    ]
    ticket = {
        "conversation_id": str(payload.get("conversation_id") or "unknown")[:MAX_CONVERSATION_ID_CHARS],
        "reason": payload.get("reason") or "customer_asked",
        "queue": payload.get("queue") or "tier1",
        "summary": shorten(str(payload.get("summary") or ""), MAX_SUMMARY_CHARS),
        "customer_email": payload.get("customer_email"),
        "customer_verified": bool(payload.get("customer_verified")),
        "transcript": turns or [{"time": "1970-01-01T00:00:00+00:00", "sender": "bot", "text": "[no transcript]"}],
        "alert": shorten(f"The full escalation was refused ({refusal}); this has what could be kept.", MAX_ALERT_CHARS),
    }
    return fit(ticket)
