"""Where a new ticket stands in line: the open tickets ahead of it in its queue and the agents online
give "There are 2 people ahead of you; a person should be with you in about 10 minutes."

Used only while the team is working (business_hours.expected_pickup decides that). With nobody
online the customer is told so rather than promised a time nobody will keep; the bot then asks for
an email address to answer by. QUEUE_ESTIMATE=false keeps the fixed PICKUP_MINUTES promise, for
teams that answer tickets in another help desk and never open the staff pages.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import func, select

from handoff_api.db import Database
from handoff_api.models import Ticket
from handoff_api.settings import Settings
from handoff_api.staff_presence import agents_online

# Tickets that still wait for a person: not yet worked, and nobody in their chat.
WAITING_STATUSES = ("new", "open")


@dataclass(frozen=True)
class QueuePosition:
    ahead: int
    agents_online: int
    minutes: int | None  # None: nobody online to give an estimate from

    @property
    def message(self) -> str:
        if self.minutes is None:
            return (
                "Our team is working today, but nobody is online at this moment; "
                "a person will pick this up as soon as someone is."
            )
        if self.ahead == 0:
            line = "You're first in line"
        elif self.ahead == 1:
            line = "There is 1 person ahead of you"
        else:
            line = f"There are {self.ahead} people ahead of you"
        return f"{line}; a person should be with you in about {self.minutes} minutes."


def tickets_ahead(db: Database, queue: str, before: dt.datetime) -> int:
    with db.read_session() as session:
        query = select(func.count()).where(
            Ticket.queue == queue,
            Ticket.status.in_(WAITING_STATUSES),
            Ticket.held_by.is_(None),
            Ticket.created_at < before,
        )
        return int(session.scalar(query) or 0)


def estimate(ahead: int, agents: int, handle_minutes: int) -> int | None:
    """Minutes until a person picks up: the people ahead shared among the agents online, each taking
    about handle_minutes; at least one handle time (the agent has to finish what they are on)."""
    if agents <= 0:
        return None
    return max(handle_minutes, math.ceil(ahead / agents) * handle_minutes)


def queue_position(db: Database, settings: Settings, queue: str, now: dt.datetime) -> QueuePosition:
    ahead = tickets_ahead(db, queue, now)
    agents = agents_online(db, settings.staff_online_minutes, now)
    return QueuePosition(ahead, agents, estimate(ahead, agents, settings.average_handle_minutes))
