"""The turns of a ticket's conversation after the ticket was made, copied from Rasa's tracker store
into the ticket: what the customer wrote while an agent held the chat (the bot paused), the agent's
messages, the bot's answers after the hand-back. The ticket then shows the whole conversation in
order with who wrote each turn, and keeps it after the tracker store has forgotten it.

They are copied when an agent acts on the chat (handoff_api/takeover.py) and when the conversation
moves (`keep_in_sync`, a task of the service that looks every LIVE_SYNC_SECONDS which open
tickets' conversations have new events). Reading a ticket writes nothing: it shows the copied turns
and, after them, any the copy has not reached yet (`with_unsynced_turns`)."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from common.conversation import CodeWatch, turn_of
from handoff_api.db import Database
from handoff_api.models import Ticket, TranscriptTurn
from insights.tracker_events import EventReader, StoreUnavailable, TrackerEvent

log = logging.getLogger(__name__)


def _turn(event: TrackerEvent, watch: CodeWatch | None = None) -> TranscriptTurn | None:
    """The stored turn of one tracker event (common/conversation.py reads it), or None. A bot
    event with buttons only shows nothing in the ticket."""
    turn = turn_of(event.data, watch)
    if turn is None or not turn.text:
        return None
    return TranscriptTurn(
        time=event.time,
        sender=turn.sender,
        author=turn.author,
        text=turn.text,
        intent=turn.intent,
        confidence=turn.confidence,
        entities=[],
        notice=turn.notice,
    )


def _new_events(reader: EventReader, ticket: Ticket) -> list[TrackerEvent]:
    if ticket.synced_event_id is None:
        return reader.conversation_events(ticket.conversation_id, start=ticket.created_at)
    return reader.conversation_events(ticket.conversation_id, after_id=ticket.synced_event_id)


def with_unsynced_turns(reader: EventReader, ticket: Ticket) -> Ticket:
    """The ticket as it reads now: its stored turns and, after them, those its conversation gained
    since the last copy, shown but not stored. `ticket` must be detached from its session (the
    extra turns are never written)."""
    try:
        events = _new_events(reader, ticket)
    except StoreUnavailable:
        return ticket
    seq = max((t.seq for t in ticket.turns), default=-1)
    for turn in stored_turns(events):
        seq += 1
        turn.seq = seq
        ticket.turns.append(turn)
    return ticket


def sync_turns(session: Session, reader: EventReader, ticket: Ticket) -> int:
    """Copy the conversation's turns stored since the last copy (since the ticket was made, the
    first time) into `ticket`, in the session's transaction; how many. The caller holds the
    ticket's row (a write session), so two copies at once cannot add a turn twice. No tracker
    store yet (nobody has chatted since it was set up): nothing to copy."""
    try:
        events = _new_events(reader, ticket)
    except StoreUnavailable:
        return 0
    if not events:
        return 0
    seq = max((t.seq for t in ticket.turns), default=-1)
    added = stored_turns(events)
    for turn in added:
        seq += 1
        turn.seq = seq
        ticket.turns.append(turn)
    ticket.synced_event_id = events[-1].id
    return len(added)


def stored_turns(events: list[TrackerEvent]) -> list[TranscriptTurn]:
    """The ticket's turns of these tracker events, in order, secrets masked (a code typed when the
    bot asked for it included)."""
    watch = CodeWatch()
    turns = []
    for event in events:
        turn = _turn(event, watch)
        watch.see(event.data)
        if turn is not None:
            turns.append(turn)
    return turns


# Tickets whose chat can still move (an agent may join it, its turns are still copied): a closed
# ticket's conversation belongs to no one.
CHAT_OPEN = ("new", "open", "pending_customer", "resolved")


def sync_open_tickets(db: Database, reader: EventReader) -> int:
    """Copy the new turns of every open ticket whose conversation moved since its last copy; how
    many turns. One grouped query finds them; each is copied under its row lock."""
    with db.read_session() as session:
        rows = session.execute(
            select(Ticket.id, Ticket.conversation_id, Ticket.synced_event_id).where(Ticket.status.in_(CHAT_OPEN))
        ).all()
    if not rows:
        return 0
    try:
        latest = reader.latest_event_ids(sorted({r.conversation_id for r in rows}))
    except StoreUnavailable:
        return 0
    moved = [r.id for r in rows if r.conversation_id in latest and (r.synced_event_id or 0) < latest[r.conversation_id]]
    added = 0
    for ticket_id in moved:
        with db.write_session() as session:
            ticket = session.scalars(
                select(Ticket).where(Ticket.id == ticket_id).with_for_update().options(selectinload(Ticket.turns))
            ).one_or_none()
            if ticket is not None:
                added += sync_turns(session, reader, ticket)
                session.commit()
    return added


async def keep_in_sync(db: Database, reader: EventReader, every: float) -> None:
    """Copy new turns into open tickets until cancelled (a task of the handoff service)."""
    while True:
        try:
            await asyncio.to_thread(sync_open_tickets, db, reader)
        except Exception:  # a bad moment of the database must not end the copying for good
            log.exception("live transcript sync")
        await asyncio.sleep(every)
