"""Turn a Rasa tracker into the transcript a human agent reads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk import Tracker

from common.event_metadata import ROUTED_AGAIN
from common.redaction import CODE_SLOT, redact


def _time(event: dict[str, Any]) -> str:
    ts = event.get("timestamp") or 0.0
    return dt.datetime.fromtimestamp(ts, tz=dt.timezone.utc).isoformat()


def shown_text(event: dict[str, Any]) -> str:
    """What the customer saw themselves send: a tapped button's title rather than its payload
    ("Talk to a person", not "/request_human"), when the widget said which button it was."""
    text = event.get("text") or ""
    title = (event.get("metadata") or {}).get("button_title")
    if text.startswith("/") and isinstance(title, str) and title.strip():
        return title.strip()
    return text


def transcript_from_tracker(tracker: Tracker) -> list[dict[str, Any]]:
    """Every customer and bot turn of the conversation, in order, with secrets masked (a code typed
    when the bot asked for it, passwords, card numbers)."""
    turns: list[dict[str, Any]] = []
    requested = None
    for event in tracker.events:
        kind = event.get("event")
        if kind == "slot" and event.get("name") == "requested_slot":
            requested = event.get("value")
        if kind == "user" and (event.get("metadata") or {}).get(ROUTED_AGAIN):
            continue  # the bot's own re-reading of a message the customer typed once
        if kind == "user":
            parse = event.get("parse_data") or {}
            intent = parse.get("intent") or {}
            text = redact(shown_text(event), expecting_code=requested == CODE_SLOT)
            turns.append(
                {
                    "time": _time(event),
                    "sender": "customer",
                    "text": text,
                    "intent": intent.get("name"),
                    "confidence": intent.get("confidence"),
                    "entities": [
                        {"entity": e.get("entity"), "value": redact(str(e.get("value")))}
                        for e in parse.get("entities") or []
                    ],
                }
            )
        elif kind == "bot" and (event.get("text") or (event.get("data") or {}).get("buttons")):
            turns.append({"time": _time(event), "sender": "bot", "text": event.get("text") or ""})
    return turns


def customer_email(tracker: Tracker) -> str | None:
    """The address a ticket is filed under: only one the customer proved with a code. An address the
    NLU merely saw in a message could be anybody's."""
    return tracker.get_slot("verified_email")
