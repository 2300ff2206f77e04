"""When a person will pick the ticket up, with a fixed clock (Europe/Berlin, Mon-Fri 08-18)."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from handoff_api.business_hours import expected_pickup
from handoff_api.settings import Settings
from tests.handoff_api.conftest import TOKEN, TestDatabase, create

UTC = dt.timezone.utc


def at(year, month, day, hour, minute=0) -> dt.datetime:
    """A Berlin wall-clock time as an aware UTC datetime."""
    from zoneinfo import ZoneInfo

    return dt.datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("Europe/Berlin")).astimezone(UTC)


@pytest.fixture
def pages(app_factory, sqlite_database: TestDatabase) -> TestClient:
    # The clock alone (test_queue_position.py has the wait from the queue).
    return app_factory(sqlite_database, queue_estimate=False)


def test_tuesday_morning_is_within_the_hour(pages: TestClient, clock) -> None:
    clock.now = at(2026, 11, 24, 10)  # Tuesday 10:00
    ticket = create(pages)
    assert ticket["pickup_message"] == "Our team is available now; a person will pick this up within about 30 minutes."
    assert dt.datetime.fromisoformat(ticket["expected_pickup_at"]) == clock.now + dt.timedelta(minutes=30)


def test_saturday_waits_for_monday(pages: TestClient, clock) -> None:
    clock.now = at(2026, 11, 28, 15)  # Saturday 15:00
    ticket = create(pages)
    assert ticket["pickup_message"] == (
        "Our team is back on Monday at 08:00 (Berlin time); a person will pick this up then."
    )
    assert dt.datetime.fromisoformat(ticket["expected_pickup_at"]) == at(2026, 11, 30, 8)
    # the promise is kept on the ticket for the agents
    clock.now = at(2026, 11, 30, 9)
    assert (
        pages.get(f"/api/tickets/{ticket['id']}", headers={"Authorization": f"Bearer {TOKEN}"})
        .json()["pickup_message"]
        .startswith("Our team is back on Monday")
    )


def test_business_plan_is_picked_up_around_the_clock(pages: TestClient, clock) -> None:
    clock.now = at(2026, 11, 28, 23)  # Saturday night
    ticket = create(pages, slots={"customer_plan": "Business"}, customer_verified=True)
    assert "around the clock" in ticket["pickup_message"]
    assert dt.datetime.fromisoformat(ticket["expected_pickup_at"]) == clock.now + dt.timedelta(minutes=30)


@pytest.mark.parametrize(
    "slots",
    [{"plan": "business"}, {"customer_plan": "Business"}, {"plan": "business", "customer_plan": "Business"}],
)
def test_a_plan_nobody_verified_buys_no_faster_promise(pages: TestClient, clock, slots) -> None:
    clock.now = at(2026, 11, 28, 23)  # Saturday night
    ticket = create(pages, slots=slots)  # not customer_verified: what the customer said
    assert ticket["pickup_message"].startswith("Our team is back on Monday")
    assert dt.datetime.fromisoformat(ticket["expected_pickup_at"]) == at(2026, 11, 30, 8)


@pytest.mark.parametrize(
    ("now", "message", "pickup"),
    [
        (at(2026, 11, 24, 7, 30), "back today at 08:00", at(2026, 11, 24, 8)),
        (at(2026, 11, 24, 18, 0), "back tomorrow at 08:00", at(2026, 11, 25, 8)),
        (at(2026, 11, 27, 19, 0), "back on Monday at 08:00", at(2026, 11, 30, 8)),  # Friday evening
        (at(2026, 12, 24, 19, 0), "back on Monday at 08:00", at(2026, 12, 28, 8)),  # holidays 25th, 26th
    ],
)
def test_outside_hours(now: dt.datetime, message: str, pickup: dt.datetime) -> None:
    settings = Settings(_env_file=None, business_holidays="2026-12-25,2026-12-26")
    got = expected_pickup(settings, now, {})
    assert message in got.message and got.at == pickup


def test_hours_are_settings(monkeypatch) -> None:
    monkeypatch.setenv("BUSINESS_TIMEZONE", "America/New_York")
    monkeypatch.setenv("BUSINESS_DAYS", "mon,tue,wed,thu,fri,sat")
    monkeypatch.setenv("BUSINESS_OPEN", "09:30")
    monkeypatch.setenv("BUSINESS_CLOSE", "17:00")
    monkeypatch.setenv("PICKUP_MINUTES", "15")
    settings = Settings(_env_file=None)
    saturday_9am_ny = dt.datetime(2026, 11, 28, 14, 0, tzinfo=UTC)
    got = expected_pickup(settings, saturday_9am_ny, {})
    assert got.message == "Our team is back today at 09:30 (New York time); a person will pick this up then."
    got = expected_pickup(settings, saturday_9am_ny + dt.timedelta(hours=1), {})
    assert "within about 15 minutes" in got.message
    monkeypatch.setenv("BUSINESS_DAYS", "mon,funday")
    with pytest.raises(ValueError, match="funday"):
        Settings(_env_file=None)
