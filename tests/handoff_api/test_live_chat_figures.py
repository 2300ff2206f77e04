"""The analytics page's live-chat figures: conversations an agent joined, first response and handle
time, from tickets and their audit trail (the takeover itself runs over Rasa in tests/e2e)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from handoff_api.live_chat_figures import live_chat_figures, minutes
from handoff_api.models import AuditEvent, Ticket
from insights.period import Period
from tests.handoff_api.conftest import TestDatabase, add_staff, create, login
from tests.insights.events import the_mix, write_tracker_db

UTC = dt.timezone.utc
DAY = dt.datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def held(client: TestClient, created: dt.datetime, replied: dt.timedelta | None, holds: list[tuple]) -> str:
    """A ticket made at `created`, first answered `replied` later, with (action, minutes) audit rows."""
    ticket_id = create(client)["id"]
    with client.app.state.db.write_session() as session:
        ticket = session.get(Ticket, ticket_id)
        ticket.created_at = created
        ticket.first_agent_reply_at = created + replied if replied is not None else None
        for action, after in holds:
            ticket.audit.append(
                AuditEvent(actor="ana@nimbus.example", action=action, at=created + dt.timedelta(minutes=after))
            )
        session.commit()
    return ticket_id


def test_first_response_handle_time_and_conversations_taken_over(client: TestClient) -> None:
    held(client, DAY, dt.timedelta(minutes=2), [("taken_over", 1), ("released", 11)])
    held(client, DAY, dt.timedelta(minutes=6), [("taken_over", 5), ("takeover_forced", 8), ("chat_closed", 20)])
    held(client, DAY, None, [])  # nobody joined
    held(client, DAY - dt.timedelta(days=3), dt.timedelta(minutes=1), [("taken_over", 0), ("released", 1)])  # before
    period = Period(dt.date(2026, 11, 24), dt.date(2026, 11, 24), ZoneInfo("Europe/Berlin"))
    live = live_chat_figures(client.app.state.db, period)
    assert (live.handed_over, live.taken_over) == (3, 2)
    assert live.first_response.count == 2 and live.first_response.median == dt.timedelta(minutes=4)
    # holds: 10 min (released), 3 min (until Ben forced it over), 12 min (closed)
    assert live.handle.count == 3 and live.handle.median == dt.timedelta(minutes=10)
    assert live.handle.p90 == dt.timedelta(minutes=12)


def test_the_analytics_page_shows_them(app_factory, sqlite_database: TestDatabase, tmp_path) -> None:
    add_staff(sqlite_database.url)
    tracker = write_tracker_db(tmp_path / "tracker.db", *the_mix())
    client = app_factory(sqlite_database, tracker_db_url=tracker)
    held(client, DAY, dt.timedelta(minutes=4, seconds=30), [("taken_over", 1), ("released", 9)])
    login(client)
    page = client.get("/staff/analytics", params={"from": "2026-11-24", "to": "2026-11-24"}).text
    assert "Live chat" in page and "Handled by an agent" in page
    assert "4 min 30 s" in page and "8 min 00 s" in page


def test_durations_read_as_a_person_says_them() -> None:
    assert [minutes(dt.timedelta(seconds=s)) for s in (42, 270, 5400)] == ["42 s", "4 min 30 s", "1 h 30 min"]
    assert minutes(None) == "–"
