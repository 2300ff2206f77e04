"""The SQL tracker store, with secrets masked before events reach the database.

Rasa keeps every event of a conversation; without this, a one-time code, a password, a card number
or a licence key a customer typed would sit in the tracker store in clear text (and in the review
inbox and the NLU export, which read it). The same rules as every other store (common/redaction.py).
Configured in endpoints.yml.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from common.redaction import CODE_SLOT, SEALED_PREFIX, SECRET_SLOTS, redact, redact_json


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
    if isinstance(event, BotUttered) and event.text:
        masked = redact(event.text)
        if masked != event.text:
            return BotUttered(masked, event.data, event.metadata, timestamp=event.timestamp)
        return event
    if isinstance(event, SlotSet) and event.value not in (None, "", [], {}):
        value = event.value
        if event.key in SECRET_SLOTS:
            # A mask or the action server's sealed value may stay; anything else is the raw secret.
            if not str(value).startswith(("[", SEALED_PREFIX)):
                value = SECRET_SLOTS[event.key]
        else:
            value = redact_json(value)
        if value != event.value:
            return SlotSet(event.key, value, timestamp=event.timestamp, metadata=event.metadata)
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
