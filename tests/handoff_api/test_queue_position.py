"""The wait a customer is told while the team works: their place in line and the agents online."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from handoff_api import staff_presence
from handoff_api.queue_position import estimate
from tests.handoff_api.conftest import (
    STAFF_PASSWORD,
    TestDatabase,
    add_staff,
    basic,
    create,
)
from tests.handoff_api.test_business_hours import at


@pytest.fixture(autouse=True)
def _fresh_presence():
    staff_presence.forget()
    yield
    staff_presence.forget()


@pytest.fixture
def desk(app_factory, sqlite_database: TestDatabase) -> TestClient:
    add_staff(sqlite_database.url)
    return app_factory(sqlite_database)


def agent_opens_queue(client: TestClient, email: str = "agent@nimbus.example") -> None:
    assert client.get("/api/tickets", headers=basic(email, STAFF_PASSWORD)).status_code == 200


def test_nobody_online_is_said_and_no_time_is_promised(desk: TestClient, clock) -> None:
    ticket = create(desk)
    assert ticket["pickup_message"] == (
        "Our team is working today, but nobody is online at this moment; "
        "a person will pick this up as soon as someone is."
    )
    # the agents' own promise stays the fixed one
    assert dt.datetime.fromisoformat(ticket["expected_pickup_at"]) == clock.now + dt.timedelta(minutes=30)


def test_place_in_line_and_wait_from_the_tickets_ahead(desk: TestClient, clock) -> None:
    agent_opens_queue(desk)
    first = create(desk)
    assert first["pickup_message"] == "You're first in line; a person should be with you in about 5 minutes."
    clock.now += dt.timedelta(minutes=1)
    create(desk)
    clock.now += dt.timedelta(minutes=1)
    third = create(desk)
    assert third["pickup_message"] == (
        "There are 2 people ahead of you; a person should be with you in about 10 minutes."
    )
    assert dt.datetime.fromisoformat(third["expected_pickup_at"]) == clock.now + dt.timedelta(minutes=10)


def test_worked_tickets_and_other_queues_are_not_ahead(desk: TestClient, clock) -> None:
    agent_opens_queue(desk)
    done = create(desk)
    r = desk.patch(f"/api/tickets/{done['id']}", json={"status": "resolved"}, headers=basic())
    assert r.status_code == 200, r.text
    create(desk, queue="billing")
    clock.now += dt.timedelta(minutes=1)
    ticket = create(desk)
    assert ticket["pickup_message"].startswith("You're first in line")


def test_two_agents_share_the_line(desk: TestClient, sqlite_database: TestDatabase, clock) -> None:
    add_staff(sqlite_database.url, email="second@nimbus.example", name="Sam Second")
    agent_opens_queue(desk)
    agent_opens_queue(desk, "second@nimbus.example")
    for _ in range(2):
        create(desk)
        clock.now += dt.timedelta(minutes=1)
    assert create(desk)["pickup_message"] == (
        "There are 2 people ahead of you; a person should be with you in about 5 minutes."
    )


def test_an_agent_away_for_a_while_is_not_online(desk: TestClient, clock) -> None:
    agent_opens_queue(desk)
    clock.now += dt.timedelta(minutes=16)
    assert "nobody is online" in create(desk)["pickup_message"]


def test_closed_hours_keep_the_opening_time(desk: TestClient, clock) -> None:
    agent_opens_queue(desk)
    clock.now = at(2026, 11, 28, 15)  # Saturday
    assert create(desk)["pickup_message"].startswith("Our team is back on Monday at 08:00")


def test_estimate_can_be_turned_off(app_factory, sqlite_database: TestDatabase) -> None:
    client = app_factory(sqlite_database, queue_estimate=False)
    assert create(client)["pickup_message"] == (
        "Our team is available now; a person will pick this up within about 30 minutes."
    )


@pytest.mark.parametrize(
    ("ahead", "agents", "minutes"), [(0, 1, 5), (1, 1, 5), (2, 1, 10), (3, 2, 10), (4, 2, 10), (5, 0, None)]
)
def test_estimate(ahead: int, agents: int, minutes: int | None) -> None:
    assert estimate(ahead, agents, 5) == minutes
