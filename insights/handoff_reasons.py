"""Why each conversation was handed over: the reason on its ticket in the handoff service's database,
read through a read-only description of the columns used here (as tracker_events.py reads Rasa's
events), so insights does not depend on the handoff service's code."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import Column, DateTime, MetaData, String, Table, inspect, select
from sqlalchemy.engine import Engine

from insights.conversations import Conversation

# The columns of the handoff service's `tickets` table that the analytics read.
TICKETS = Table(
    "tickets",
    MetaData(),
    Column("id", String, primary_key=True),
    Column("conversation_id", String),
    Column("reason", String),
    Column("created_at", DateTime),
)

# A handoff whose ticket is not in the database (yet): the outbox still retries it, or the tickets
# live elsewhere. Counted, never dropped.
NO_TICKET = "no_ticket_yet"


def ticket_rows(engine: Engine, conversation_ids: Iterable[str]) -> list[tuple[str, str, str, dt.datetime]]:
    """(id, conversation_id, reason, created_at) of the tickets of these conversations."""
    conversation_ids = sorted(set(conversation_ids))
    if not conversation_ids or not inspect(engine).has_table(TICKETS.name):
        return []
    rows: list[tuple[str, str, str, dt.datetime]] = []
    with engine.connect() as conn:
        for start in range(0, len(conversation_ids), 500):  # bounded IN lists
            t = TICKETS.c
            query = select(t.id, t.conversation_id, t.reason, t.created_at).where(
                t.conversation_id.in_(conversation_ids[start : start + 500])
            )
            rows.extend((r.id, r.conversation_id, r.reason, r.created_at) for r in conn.execute(query))
    return rows


def attach_handoff_reasons(conversations: list[Conversation], engine: Engine | None) -> None:
    """Fill `handoff_reasons`: a NIM- id is looked up directly; a REF- reference (the ticket was
    made later by the bot's outbox) takes the sender's earliest ticket from this conversation on
    that no other handoff claimed."""
    rows = ticket_rows(engine, (c.conversation_id for c in conversations if c.handoffs)) if engine else []
    by_id = {r[0]: r for r in rows}
    by_conversation: dict[str, list[tuple[str, str, str, dt.datetime]]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: r[3]):
        by_conversation[row[1]].append(row)
    claimed = {handoff for c in conversations for handoff in c.handoffs if handoff in by_id}
    for c in sorted(conversations, key=lambda c: c.started_at or dt.datetime.min.replace(tzinfo=dt.timezone.utc)):
        c.handoff_reasons = []
        for handoff in c.handoffs:
            row = by_id.get(handoff)
            if row is None and c.started_at is not None:
                row = next(
                    (
                        r
                        for r in by_conversation[c.conversation_id]
                        if r[0] not in claimed and _utc(r[3]) >= c.started_at
                    ),
                    None,
                )
                if row is not None:
                    claimed.add(row[0])
            c.handoff_reasons.append(row[2] if row else NO_TICKET)


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
