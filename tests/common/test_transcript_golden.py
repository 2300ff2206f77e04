"""One recorded conversation (a password reset over the real stack: a tapped "Send a new code", the
emailed code typed, a password typed, a handoff) read by every part that turns events into a
transcript: the action server (the ticket it files), the handoff service (the ticket as stored, and
the live transcript it copies from the tracker store) and the insights (the conversation page).
Each must show what it showed when the recording was made (tests/common/data/*.golden.json), with
the code and the password masked.

The recording is Rasa's tracker as the action server gets it: the tracker store masked the code in
its own copy, so the recording carries the code and the password as typed (the demo account's, long expired).
Regenerate the golden file only for a deliberate change: TIER0_REGENERATE_GOLDEN=1."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from rasa_sdk import Tracker

from bot.actions.transcript import transcript_from_tracker
from handoff_api.live_transcript import stored_turns
from handoff_api.schemas import TicketCreate
from handoff_api.ticket_store import _redacted_turns
from insights.conversations import fold
from insights.tracker_events import TrackerEvent

DATA = Path(__file__).resolve().parent / "data"
EVENTS: list[dict[str, Any]] = json.loads((DATA / "recorded_conversation.json").read_text(encoding="utf-8"))
GOLDEN = DATA / "recorded_transcript.golden.json"
CODE = next(e["text"] for e in EVENTS if e.get("event") == "user" and e.get("text", "").isdigit())


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def readings() -> dict[str, Any]:
    tracker = Tracker.from_dict({"sender_id": "recorded", "slots": {}, "latest_message": {}, "events": EVENTS})
    filed = transcript_from_tracker(tracker)
    stored = _redacted_turns(
        TicketCreate(conversation_id="recorded", reason="customer_asked", summary="s", transcript=filed)
    )
    tracker_events = [
        TrackerEvent(i, "recorded", e["event"], float(e.get("timestamp") or 0), e) for i, e in enumerate(EVENTS)
    ]
    live = stored_turns(tracker_events)
    (conversation,) = fold(tracker_events, low_confidence=0.2)

    def row(t: Any, *fields: str) -> dict[str, Any]:
        return {f: _iso(getattr(t, f)) for f in fields}

    return {
        "action_server_ticket_transcript": filed,
        "ticket_as_stored": [row(t, "time", "sender", "text", "intent", "confidence", "entities") for t in stored],
        "live_transcript": [row(t, "time", "sender", "author", "text", "intent", "confidence", "notice") for t in live],
        "conversation_page": [
            row(t, "time", "sender", "text", "intent", "confidence", "tapped") for t in conversation.turns
        ],
    }


def test_every_reader_shows_the_recorded_conversation_as_before() -> None:
    now = json.loads(json.dumps(readings(), ensure_ascii=False))
    if os.environ.get("TIER0_REGENERATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(now, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert now == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_the_code_and_the_password_are_masked_in_the_ticket() -> None:
    read = readings()
    shown = json.dumps([read["action_server_ticket_transcript"], read["ticket_as_stored"], read["live_transcript"]])
    assert CODE not in shown and "hunter2" not in shown
    assert "[one-time code]" in shown and "[password]" in shown
