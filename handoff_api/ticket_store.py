"""Ticket work: create (idempotent, redacted), read, list, update, notes. Every change writes its
audit row and its webhook event in the same transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from common.conversation import ESCALATION_REASONS, CodeWatch
from common.redaction import redact, redact_entities, redact_json, redact_slots
from handoff_api import audit, webhooks
from handoff_api.business_hours import Pickup, expected_pickup
from handoff_api.db import Database
from handoff_api.models import Note, StaffUser, Ticket, TranscriptTurn, utcnow
from handoff_api.queue_position import queue_position
from handoff_api.schemas import TicketCreate, TicketOut, TicketSummary, TicketUpdate
from handoff_api.settings import Settings

ID_PREFIX = "NIM-"
TICKET_ID = re.compile(r"NIM-\d{6}")
# Unless the bot says otherwise: an upset customer, or one who cannot get into the account until a
# person acts, waits less.
PRIORITY_BY_REASON = dict.fromkeys(ESCALATION_REASONS, "normal") | {
    "customer_frustrated": "high",
    "account_action": "high",
}
# Random ids (not sequential) so that a ticket id reveals nothing about the others.
_ID_ATTEMPTS = 8

log = logging.getLogger(__name__)


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before with a different request body."""


class UnknownAssignee(ValueError):
    pass


def new_ticket_id() -> str:
    return f"{ID_PREFIX}{secrets.randbelow(900000) + 100000}"


def request_hash(data: TicketCreate) -> str:
    # The parsed body, not the raw bytes: the same ticket sent with other whitespace or key order
    # is the same request.
    return hashlib.sha256(data.model_dump_json().encode()).hexdigest()


def _with_conversation():  # noqa: ANN202
    return (selectinload(Ticket.turns),)


def _redacted_turns(data: TicketCreate) -> list[TranscriptTurn]:
    turns: list[TranscriptTurn] = []
    watch = CodeWatch()  # a transcript has no slots: the bot's words say when a code is asked for
    for i, turn in enumerate(data.transcript):
        expecting_code = turn.sender == "customer" and watch.expecting_code
        turns.append(
            TranscriptTurn(
                seq=i,
                time=turn.time,
                sender=turn.sender,
                text=redact(turn.text, expecting_code=expecting_code),
                intent=turn.intent,
                confidence=turn.confidence,
                entities=redact_entities(turn.entities),
            )
        )
        watch.see_bot_text(turn.text if turn.sender == "bot" else None)
    return turns


def ticket_payload(ticket: Ticket, full: bool) -> dict[str, Any]:
    model = TicketOut if full else TicketSummary
    return model.model_validate(ticket).model_dump(mode="json")


def create_ticket(
    db: Database, settings: Settings, data: TicketCreate, now: dt.datetime, idempotency_key: str | None
) -> tuple[Ticket, bool]:
    """The new ticket and False, or with a known Idempotency-Key the earlier ticket and True."""
    digest = request_hash(data)
    pickup = expected_pickup(settings, now, data.slots, data.customer_verified)
    if pickup.open_now and settings.queue_estimate:
        position = queue_position(db, settings, data.queue, now)
        minutes = position.minutes if position.minutes is not None else settings.pickup_minutes
        pickup = Pickup(now + dt.timedelta(minutes=minutes), position.message, open_now=True)
    for _ in range(_ID_ATTEMPTS):
        with db.write_session() as session:
            if idempotency_key:
                earlier = session.scalar(
                    select(Ticket).where(Ticket.idempotency_key == idempotency_key).options(*_with_conversation())
                )
                if earlier is not None:
                    if earlier.request_hash != digest:
                        raise IdempotencyConflict(idempotency_key)
                    return earlier, True
            ticket = Ticket(
                id=new_ticket_id(),
                status="new",
                priority=data.priority or PRIORITY_BY_REASON.get(data.reason, "normal"),
                reason=data.reason,
                queue=data.queue,
                summary=redact(data.summary),
                conversation_id=data.conversation_id,
                customer_email=data.customer_email,
                customer_name=data.customer_name,
                customer_verified=data.customer_verified,
                slots=redact_slots(data.slots),
                steps_tried=redact_json(data.steps_tried),
                kb_articles=data.kb_articles,
                alert=data.alert,
                flood_suspected=data.flood_suspected,
                expected_pickup_at=pickup.at,
                pickup_message=pickup.message,
                idempotency_key=idempotency_key,
                request_hash=digest,
                created_at=now,
                updated_at=now,
            )
            ticket.turns = _redacted_turns(data)
            session.add(ticket)
            audit.record(ticket, audit.BOT_ACTOR, "created", new=f"{ticket.queue}/{ticket.priority}")
            if data.alert:
                log.error("ticket %s: %s", ticket.id, data.alert)
            if data.flood_suspected:
                log.warning("ticket %s: escalation %d from one address this hour", ticket.id, data.flood_suspected)
            try:
                session.flush()
                webhooks.enqueue(
                    session, settings, "ticket.created", ticket.id, {"ticket": ticket_payload(ticket, full=True)}
                )
                session.commit()
            except IntegrityError:
                # A taken id, or (PostgreSQL) a concurrent create with the same key that committed
                # first: the next round finds that ticket by its key.
                session.rollback()
                continue
            return ticket, False
    raise RuntimeError("could not allocate a ticket id")


def get_ticket(session: Session, ticket_id: str, detail: bool = True) -> Ticket | None:
    ticket_id = ticket_id.strip().upper()
    if not TICKET_ID.fullmatch(ticket_id):  # not an id at all: no query (and no NUL sent to the database)
        return None
    options = [selectinload(Ticket.turns)]
    if detail:
        options += [selectinload(Ticket.notes), selectinload(Ticket.audit)]
    return session.get(Ticket, ticket_id, options=options)


@dataclass
class TicketFilters:
    status: list[str] = field(default_factory=list)
    queue: list[str] = field(default_factory=list)
    priority: list[str] = field(default_factory=list)
    reason: list[str] = field(default_factory=list)
    # A staff email, or "none" for unassigned tickets.
    assignee: str | None = None
    created_from: dt.datetime | None = None
    created_to: dt.datetime | None = None
    # Searched in id, conversation id, summary, customer email and name, and the transcript.
    q: str | None = None
    oldest_first: bool = False
    # True: only tickets filed beyond an address's escalation limit; False: none of them; None: all.
    flood_suspected: bool | None = None


def list_tickets(session: Session, filters: TicketFilters, limit: int, offset: int) -> tuple[list[Ticket], int]:
    query = _filtered(filters)
    order = Ticket.created_at.asc() if filters.oldest_first else Ticket.created_at.desc()
    items = session.scalars(query.order_by(order, Ticket.id).limit(limit).offset(offset)).all()
    return list(items), count_tickets(session, filters)


def count_tickets(session: Session, filters: TicketFilters) -> int:
    return session.scalar(select(func.count()).select_from(_filtered(filters).subquery())) or 0


def _filtered(filters: TicketFilters):  # noqa: ANN202 - a SQLAlchemy Select
    query = select(Ticket)
    for column, values in (
        (Ticket.status, filters.status),
        (Ticket.queue, filters.queue),
        (Ticket.priority, filters.priority),
        (Ticket.reason, filters.reason),
    ):
        if values:
            query = query.where(column.in_(values))
    if filters.flood_suspected is not None:
        flooded = Ticket.flood_suspected.is_not(None)
        query = query.where(flooded if filters.flood_suspected else ~flooded)
    if filters.assignee == "none":
        query = query.where(Ticket.assignee.is_(None))
    elif filters.assignee:
        query = query.where(Ticket.assignee == filters.assignee.lower())
    if filters.created_from:
        query = query.where(Ticket.created_at >= filters.created_from)
    if filters.created_to:
        query = query.where(Ticket.created_at < filters.created_to)
    if filters.q and filters.q.strip():
        # LIKE wildcards typed by the user are searched literally.
        pattern = "%" + filters.q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        in_transcript = exists().where(
            TranscriptTurn.ticket_id == Ticket.id, TranscriptTurn.text.ilike(pattern, escape="\\")
        )
        query = query.where(
            or_(
                Ticket.id.ilike(pattern, escape="\\"),
                Ticket.conversation_id.ilike(pattern, escape="\\"),
                Ticket.summary.ilike(pattern, escape="\\"),
                Ticket.customer_email.ilike(pattern, escape="\\"),
                Ticket.customer_name.ilike(pattern, escape="\\"),
                in_transcript,
            )
        )
    return query


def _active_staff_email(session: Session, email: str) -> str:
    email = email.strip().lower()
    user = session.scalar(select(StaffUser).where(StaffUser.email == email, StaffUser.active.is_(True)))
    if user is None:
        raise UnknownAssignee(f"no active staff user {email}")
    return email


def update_ticket(
    db: Database, settings: Settings, ticket_id: str, changes: TicketUpdate, actor: str
) -> tuple[Ticket | None, list[dict[str, Any]]]:
    """The ticket (None if unknown) and what changed; an empty list when nothing did."""
    with db.write_session() as session:
        ticket = get_ticket(session, ticket_id)
        if ticket is None:
            return None, []
        changed: list[dict[str, Any]] = []
        for name in ("status", "priority", "queue", "assignee"):
            if name not in changes.model_fields_set:
                continue
            new = getattr(changes, name)
            if name == "assignee" and new is not None:
                new = _active_staff_email(session, new)
            old = getattr(ticket, name)
            if new == old:
                continue
            setattr(ticket, name, new)
            changed.append({"field": name, "old": old, "new": new})
            audit.record(ticket, actor, f"{name}_changed", field=name, old=old, new=new)
        if changed:
            ticket.updated_at = utcnow()
            session.flush()
            webhooks.enqueue(
                session,
                settings,
                "ticket.updated",
                ticket.id,
                {"actor": actor, "changes": changed, "ticket": ticket_payload(ticket, full=False)},
            )
            session.commit()
        return ticket, changed


def add_note(db: Database, settings: Settings, ticket_id: str, text: str, actor: str) -> Note | None:
    with db.write_session() as session:
        ticket = get_ticket(session, ticket_id, detail=False)
        if ticket is None:
            return None
        # Agents paste what customers send them; notes get the same masking as the transcript.
        note = Note(ticket_id=ticket.id, author=actor, text=redact(text), created_at=utcnow())
        ticket.notes.append(note)
        ticket.updated_at = utcnow()
        audit.record(ticket, actor, "note_added", new=note.text[:200])
        session.flush()
        webhooks.enqueue(
            session,
            settings,
            "ticket.note_added",
            ticket.id,
            {
                "actor": actor,
                "note": {"id": note.id, "author": note.author, "text": note.text, "created_at": note.created_at},
                "ticket": ticket_payload(ticket, full=False),
            },
        )
        session.commit()
        return note
