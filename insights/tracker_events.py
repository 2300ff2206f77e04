"""Read Rasa's tracker store (the SQL `events` table of rasa.core.tracker_store.SQLTrackerStore) for a
time window, from SQLite or PostgreSQL, without ever writing to it."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, func, inspect, select
from sqlalchemy.engine import Engine, make_url

# Rasa's table, as SQLTrackerStore creates it (rasa/core/tracker_store.py, SQLEvent).
_metadata = MetaData()
EVENTS = Table(
    "events",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


class StoreUnavailable(RuntimeError):
    """A database cannot be read (missing file, wrong URL, no such table)."""


@dataclass(frozen=True)
class TrackerEvent:
    id: int
    conversation_id: str
    type_name: str
    timestamp: float
    data: dict[str, Any]

    @property
    def time(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.timestamp, tz=dt.timezone.utc)


def read_only_engine(url: str) -> Engine:
    """An engine that cannot create or change the database.

    SQLite: opened in read-only URI mode, so a wrong path is an error instead of a new empty file.
    PostgreSQL: Rasa's URLs name no driver (psycopg2 is the default) while this environment has
    psycopg 3, so a bare `postgresql://` gets `+psycopg`."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if not database or database == ":memory:":
            raise StoreUnavailable(f"{url}: an in-memory SQLite database has no conversations to read")
        path = Path(database).resolve()
        if not path.is_file():
            raise StoreUnavailable(f"{url}: no such database file ({path})")
        return create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True)


def _decode(row: Any) -> TrackerEvent | None:
    try:
        data = json.loads(row.data) if row.data else {}
    except json.JSONDecodeError:  # one broken row must not hide every other conversation
        return None
    return TrackerEvent(row.id, row.sender_id, row.type_name, float(row.timestamp or 0.0), data)


def read_events(
    engine: Engine,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    conversation_ids: Iterable[str] | None = None,
    after_id: int | None = None,
) -> list[TrackerEvent]:
    """Events with start <= timestamp < end (either may be open), optionally of some conversations only
    and stored after the event `after_id`, ordered by conversation and then by the order Rasa stored
    them (the id)."""
    if not inspect(engine).has_table("events"):
        raise StoreUnavailable(f"{engine.url.render_as_string(hide_password=True)} has no `events` table")
    query = select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
    if start is not None:
        query = query.where(EVENTS.c.timestamp >= start.timestamp())
    if end is not None:
        query = query.where(EVENTS.c.timestamp < end.timestamp())
    if conversation_ids is not None:
        query = query.where(EVENTS.c.sender_id.in_(list(conversation_ids)))
    if after_id is not None:
        query = query.where(EVENTS.c.id > after_id)
    query = query.order_by(EVENTS.c.sender_id, EVENTS.c.id)
    with engine.connect() as conn:
        return [event for row in conn.execute(query) if (event := _decode(row)) is not None]


def latest_event_ids(engine: Engine, conversation_ids: Iterable[str]) -> dict[str, int]:
    """The id of each conversation's newest stored event (conversations without any are left out):
    one grouped query, so a poller can tell which of many conversations moved."""
    wanted = list(conversation_ids)
    if not wanted:
        return {}
    if not inspect(engine).has_table("events"):
        raise StoreUnavailable(f"{engine.url.render_as_string(hide_password=True)} has no `events` table")
    query = (
        select(EVENTS.c.sender_id, func.max(EVENTS.c.id))
        .where(EVENTS.c.sender_id.in_(wanted))
        .group_by(EVENTS.c.sender_id)
    )
    with engine.connect() as conn:
        return {str(sender): int(latest) for sender, latest in conn.execute(query)}


class EventReader:
    """One tracker store, read only: a conversation's events, and which conversations moved. The
    handoff service's window on conversations (the live transcript of its tickets) needs no more of
    the insights than this. The engine is made on first use: a store nobody has written to yet is
    an error then, and fine later."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = read_only_engine(self.url)
            return self._engine

    def conversation_events(
        self, conversation_id: str, start: dt.datetime | None = None, after_id: int | None = None
    ) -> list[TrackerEvent]:
        """One conversation's events from `start`, or stored after the event `after_id`."""
        return read_events(self.engine, start, None, [conversation_id], after_id)

    def latest_event_ids(self, conversation_ids: Iterable[str]) -> dict[str, int]:
        return latest_event_ids(self.engine, conversation_ids)

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None
