"""The SQL tracker store, with secrets masked before events reach the database.

Rasa keeps every event of a conversation; without this, a one-time code or a password a customer
typed would sit in the tracker store in clear text. Configured in endpoints.yml.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.redaction import CODE_MASK, CODE_SLOT, SECRET_SLOTS, redact


def redact_event(event: Event, expecting_code: bool) -> Event:
    if isinstance(event, UserUttered) and event.text:
        masked = redact(event.text, expecting_code)
        if masked == event.text:
            return event
        parse_data: dict[str, Any] = copy.deepcopy(event.parse_data or {})
        parse_data["text"] = masked
        parse_data["entities"] = [
            e
            for e in parse_data.get("entities") or []
            if str(e.get("value")) not in event.text or str(e.get("value")) in masked
        ]
        return UserUttered(
            masked,
            parse_data.get("intent"),
            parse_data["entities"],
            parse_data,
            timestamp=event.timestamp,
            input_channel=event.input_channel,
            message_id=event.message_id,
            metadata=event.metadata,
        )
    if (
        isinstance(event, SlotSet)
        and event.key in SECRET_SLOTS
        and event.value
        and not str(event.value).startswith("[")
    ):
        return SlotSet(event.key, CODE_MASK, timestamp=event.timestamp, metadata=event.metadata)
    return event


class RedactingSQLTrackerStore(SQLTrackerStore):
    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        new_events = list(super()._additional_events(session, tracker))
        first_new = len(tracker.events) - len(new_events)
        requested = None
        for index, event in enumerate(tracker.events):
            if isinstance(event, SlotSet) and event.key == "requested_slot":
                requested = event.value
            if index >= first_new:
                yield redact_event(event, expecting_code=requested == CODE_SLOT)
