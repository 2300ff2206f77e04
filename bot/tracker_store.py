"""The SQL tracker store, with secrets masked before events reach the database.

Rasa keeps every event of a conversation; without this, a one-time code, a password, a card number
or a licence key a customer typed would sit in the tracker store in clear text (and in the review
inbox and the NLU export, which read it). The same rules as every other store (common/redaction.py).
Configured in endpoints.yml.

Reading a conversation is also cheaper than Rasa's own store, whose cost grows with the
conversation (every turn reloads every event as an ORM row and resolves each event's class by
walking all Event subclasses): each process keeps the events of recent conversations as parsed
JSON and a turn reads only the rows written since, after checking that the rows it holds are still
all there (another process, or a row committed late, makes it read everything again).
"""

from __future__ import annotations

import copy
import json
import os
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses

from common.conversation import CodeWatch
from common.redaction import SEALED_PREFIX, SECRET_SLOTS, redact, redact_json


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


def redacted_tail(tracker: DialogueStateTracker, first_new: int) -> Iterator[Event]:
    """The tracker's events from index `first_new` on, masked (a code is expected while the bot
    asks for one)."""
    watch = CodeWatch()
    for index, event in enumerate(tracker.events):
        if isinstance(event, SlotSet):
            watch.see_slot(event.key, event.value)
        if index >= first_new:
            yield redact_event(event, expecting_code=watch.expecting_code)


class RedactingSQLTrackerStore(SQLTrackerStore):
    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        new_events = list(super()._additional_events(session, tracker))
        return redacted_tail(tracker, len(tracker.events) - len(new_events))

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        # The event broker (RabbitMQ in the scaled setup) gets the same masked events as the table.
        if self.event_broker is None:
            return
        # What is stored already, from the rows this process holds (no second tracker replay).
        stored = len(self._latest_session_events(tracker.sender_id))
        masked = list(redacted_tail(tracker, stored))
        await self._stream_new_events(self.event_broker, masked, tracker.sender_id)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        if fetch_events_from_all_sessions:
            return await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        events = self._latest_session_events(sender_id)
        if not events or not self.domain:
            return None
        return DialogueStateTracker.from_events(sender_id, deserialise(events), self.domain.slots)

    def _latest_session_events(self, sender_id: str) -> list[dict[str, Any]]:
        """The conversation's events since its latest session start, as stored (Rasa's filter:
        timestamp at or after the latest `session_started`), read incrementally."""
        cache = _conversation_cache(self)
        held = cache.pop(sender_id, None)
        table = self.SQLEvent.__table__
        with self.session_scope() as session:
            if held is not None:
                # The rows held must all still be there, and none may have appeared below the last
                # one read (a transaction of another process that committed late).
                still = session.execute(
                    sa.select(sa.func.count()).where(table.c.sender_id == sender_id, table.c.id <= held.last_id)
                ).scalar_one()
                if still != held.rows_read:
                    held = None
            held = held or _HeldEvents()
            rows = session.execute(
                sa.select(table.c.id, table.c.type_name, table.c.timestamp, table.c.data)
                .where(table.c.sender_id == sender_id, table.c.id > held.last_id)
                .order_by(table.c.id)
            ).all()
        new_session = False
        for row in rows:
            if held.session_start is None or row.timestamp >= held.session_start:
                held.rows.append((row.timestamp, json.loads(row.data)))
            if row.type_name == SessionStarted.type_name and row.timestamp >= (held.session_start or row.timestamp):
                held.session_start, new_session = row.timestamp, True
            held.last_id, held.rows_read = row.id, held.rows_read + 1
        if new_session:  # the rows before it belong to an earlier session
            held.rows = [(ts, data) for ts, data in held.rows if ts >= held.session_start]
        if held.rows_read:
            cache[sender_id] = held
            while len(cache) > _cache_size():
                cache.popitem(last=False)
        return [data for _, data in held.rows]


@dataclass
class _HeldEvents:
    rows: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    last_id: int = 0
    rows_read: int = 0
    session_start: float | None = None


def _conversation_cache(store: SQLTrackerStore) -> OrderedDict[str, _HeldEvents]:
    # Set lazily: Rasa builds the store from endpoints.yml by reading __init__'s arguments.
    if not hasattr(store, "_held"):
        store._held = OrderedDict()
    return store._held


def _cache_size() -> int:
    return max(0, int(os.environ.get("TRACKER_CACHE_CONVERSATIONS", "200")))


_EVENT_CLASSES: dict[str, type[Event]] = {}


def deserialise(events: list[dict[str, Any]]) -> list[Event]:
    """Rasa's `deserialise_events` with the event classes looked up in a table built once."""
    if not _EVENT_CLASSES:
        _EVENT_CLASSES.update((cls.type_name, cls) for cls in reversed(all_subclasses(Event)))
    out = []
    for data in events:
        cls = _EVENT_CLASSES.get(data.get("event"))
        # An unknown type goes through Rasa's own handling (a default class, or nothing).
        event = cls._from_parameters(data) if cls else Event.from_parameters(data)
        if event is not None:
            out.append(event)
    return out
