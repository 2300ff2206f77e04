"""A ticket's transcript runs on past the handoff (handoff_api/live_transcript.py): reading the
ticket shows the turns its conversation gained, and writes nothing; the service's sync copies them
into the ticket once, secrets masked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from handoff_api.live_transcript import sync_open_tickets
from handoff_api.models import Ticket, TranscriptTurn
from tests.handoff_api.conftest import BOT, TUESDAY_10_BERLIN, TestDatabase, create
from tests.insights.events import Chat, write_tracker_db


def stored_turns(url: str) -> int:
    with Session(create_engine(url)) as session:
        return session.scalar(select(func.count()).select_from(TranscriptTurn))


def test_reading_shows_new_turns_without_writing_and_the_sync_copies_them_once(
    app_factory, sqlite_database: TestDatabase, tmp_path: Path
) -> None:
    after = TUESDAY_10_BERLIN + dt.timedelta(minutes=5)  # the ticket is made at the clock's time
    chat = Chat("conv-1", after).user("also, it started yesterday", "inform").bot("Please type the 6-digit code.")
    chat.user("it is 654321 and my password is hunter2", "inform")
    tracker = write_tracker_db(tmp_path / "t.db", chat)
    # The service's own sync looks once at start (no ticket yet), then not within this test.
    client: TestClient = app_factory(sqlite_database, tracker_db_url=tracker, live_sync_seconds=3600)
    ticket = create(client)
    before = stored_turns(sqlite_database.url)
    shown = client.get(f"/api/tickets/{ticket['id']}", headers=BOT).json()["transcript"]
    assert [t["text"] for t in shown[-3:]] == [
        "also, it started yesterday",
        "Please type the 6-digit code.",
        "it is [one-time code] and my password is [password]",  # asked for in words: masked
    ]
    assert stored_turns(sqlite_database.url) == before  # a GET wrote nothing
    app = client.app
    assert sync_open_tickets(app.state.db, app.state.event_reader) == 3
    assert sync_open_tickets(app.state.db, app.state.event_reader) == 0  # nothing new: nothing copied twice
    assert stored_turns(sqlite_database.url) == before + 3
    with Session(create_engine(sqlite_database.url)) as session:
        assert session.get(Ticket, ticket["id"]).synced_event_id is not None
    again = client.get(f"/api/tickets/{ticket['id']}", headers=BOT).json()["transcript"]
    assert [t["text"] for t in again] == [t["text"] for t in shown]
