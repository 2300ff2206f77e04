"""Live-chat figures for the analytics page, from the tickets and their audit trail (the tracker
store knows nothing of agents): how many conversations an agent took over, how long customers
waited for a person's first message, and how long an agent held a chat.

- First response time: from the handoff (the ticket's creation) to the first message an agent
  wrote in the chat, for the tickets made in the period that got one.
- Handle time: from an agent joining to the chat being handed back or closed, for the joins in
  the period that ended. A take-over from another agent starts a new hold.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from sqlalchemy import select

from handoff_api.db import Database
from handoff_api.models import AuditEvent, Ticket
from insights.period import Period

JOINED = ("taken_over", "takeover_forced")
ENDED = ("released", "chat_closed")


@dataclass(frozen=True)
class Durations:
    count: int
    median: dt.timedelta | None
    p90: dt.timedelta | None

    @classmethod
    def of(cls, spans: list[dt.timedelta]) -> Durations:
        if not spans:
            return cls(0, None, None)
        seconds = sorted(s.total_seconds() for s in spans)
        p90 = seconds[min(len(seconds) - 1, int(0.9 * len(seconds)))]
        return cls(len(seconds), dt.timedelta(seconds=statistics.median(seconds)), dt.timedelta(seconds=p90))


@dataclass(frozen=True)
class LiveChatFigures:
    handed_over: int  # tickets made in the period
    taken_over: int  # of those, conversations an agent joined
    first_response: Durations
    handle: Durations


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def live_chat_figures(db: Database, period: Period) -> LiveChatFigures:
    start, end = period.start.astimezone(dt.timezone.utc), period.end.astimezone(dt.timezone.utc)
    with db.read_session() as session:
        tickets = session.execute(
            select(Ticket.id, Ticket.created_at, Ticket.first_agent_reply_at).where(
                Ticket.created_at >= start, Ticket.created_at < end
            )
        ).all()
        made = {row.id for row in tickets}
        events = session.execute(
            select(AuditEvent.ticket_id, AuditEvent.action, AuditEvent.at)
            .where(AuditEvent.action.in_(JOINED + ENDED), AuditEvent.at >= start)
            .order_by(AuditEvent.ticket_id, AuditEvent.at, AuditEvent.id)
        ).all()
    first = [_aware(row.first_agent_reply_at) - _aware(row.created_at) for row in tickets if row.first_agent_reply_at]
    joined_tickets: set[str] = set()
    holds: list[dt.timedelta] = []
    since: dict[str, dt.datetime] = {}
    for ticket_id, action, at in events:
        at = _aware(at)
        if action in JOINED:
            if at < end:
                if ticket_id in made:
                    joined_tickets.add(ticket_id)
                if ticket_id in since:  # taken over from another agent: their hold ends here
                    holds.append(at - since[ticket_id])
                since[ticket_id] = at
        elif ticket_id in since:
            holds.append(at - since.pop(ticket_id))
    return LiveChatFigures(len(made), len(joined_tickets), Durations.of(first), Durations.of(holds))


def minutes(span: dt.timedelta | None) -> str:
    """ "4 min 30 s" for the page; "–" when there is nothing to measure."""
    if span is None:
        return "–"
    total = round(span.total_seconds())
    if total < 60:
        return f"{total} s"
    if total < 3600:
        return f"{total // 60} min {total % 60:02d} s"
    return f"{total // 3600} h {total % 3600 // 60:02d} min"
