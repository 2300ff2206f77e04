"""Database tables (the schema itself is made by the Alembic migrations in handoff_api/migrations)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

STATUSES = ("new", "open", "pending_customer", "resolved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
QUEUES = ("tier1", "tier2", "billing")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in and out on every backend (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # naive times are taken to be UTC
            value = value.replace(tzinfo=dt.timezone.utc)
        value = value.astimezone(dt.timezone.utc)
        # SQLite keeps text: store it naive so that strings compare in time order.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


class Base(DeclarativeBase):
    pass


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_created_at", "created_at"),
        # A unique index rather than a column constraint: SQLite can add one to an existing table.
        Index("uq_tickets_idempotency_key", "idempotency_key", unique=True),
    )

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # NIM-123456
    status: Mapped[str] = mapped_column(String(32), default="new", index=True)
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    queue: Mapped[str] = mapped_column(String(16), default="tier1")
    reason: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text, default="")
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    customer_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    customer_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    customer_verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    assignee: Mapped[str | None] = mapped_column(String(320), nullable=True, index=True)  # a staff email
    # The full escalation was refused and this ticket holds what could be kept (shown on the queue).
    alert: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Filed beyond the bot's hourly escalation limit for one client address: that address's count
    # of escalations in the hour. Still a customer's request (an office behind one address), so it
    # is kept, and the queue shows it apart instead of among the others.
    flood_suspected: Mapped[int | None] = mapped_column(Integer, nullable=True)
    slots: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    steps_tried: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    kb_articles: Mapped[list[str]] = mapped_column(JSON, default=list)
    # What the customer was told when the ticket was made (kept: agents see the promise).
    expected_pickup_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    pickup_message: Mapped[str] = mapped_column(Text, default="", server_default="")
    # A retried create with the same key returns this ticket; the hash tells a reused key apart.
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    request_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Live takeover: the agent (staff email and display name) who holds the chat, the bot paused.
    held_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    held_by_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    held_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When the customer of the held chat last typed (the agent's page shows "Customer is typing").
    customer_typing_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The customer's widget connected / went away (the chat channel says so): an agent's reply to a
    # customer who left goes to customer_email.
    customer_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    customer_left_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The first message an agent wrote in the chat (analytics: first response time).
    first_agent_reply_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The last tracker-store event copied into the transcript (turns after the ticket was made).
    synced_event_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

    turns: Mapped[list[TranscriptTurn]] = relationship(
        back_populates="ticket", order_by="TranscriptTurn.seq", cascade="all, delete-orphan"
    )
    notes: Mapped[list[Note]] = relationship(order_by="Note.id", cascade="all, delete-orphan")
    audit: Mapped[list[AuditEvent]] = relationship(order_by="AuditEvent.id", cascade="all, delete-orphan")


class TranscriptTurn(Base):
    __tablename__ = "transcript_turns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    time: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sender: Mapped[str] = mapped_column(String(16))  # customer | bot | agent
    author: Mapped[str | None] = mapped_column(String(200), nullable=True)  # an agent's display name
    # An agent's turn that is a line of the takeover itself: joined | released | closed.
    notice: Mapped[str | None] = mapped_column(String(16), nullable=True)
    text: Mapped[str] = mapped_column(Text, default="")
    intent: Mapped[str | None] = mapped_column(String(64), nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    entities: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    ticket: Mapped[Ticket] = relationship(back_populates="turns")


class Note(Base):
    __tablename__ = "ticket_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(320))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEvent(Base):
    """Every change to a ticket: who (a staff email, or "bot"), what, when."""

    __tablename__ = "ticket_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(320))
    # created | status_changed | priority_changed | assignee_changed | queue_changed | note_added | draft_created
    action: Mapped[str] = mapped_column(String(32))
    field: Mapped[str | None] = mapped_column(String(32), nullable=True)
    old_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    new_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffUser(Base):
    __tablename__ = "staff_users"
    __table_args__ = (UniqueConstraint("email", name="uq_staff_users_email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320))  # stored lower-case
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The last staff page or API call (agents online, for the customer's wait estimate).
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class StaffSession(Base):
    """One staff sign-in (handoff_api/staff_sessions.py). The session cookie carries a random id;
    a cookie counts only while its row is here and not ended, so logging out ends it for every
    copy of the cookie."""

    __tablename__ = "staff_sessions"
    __table_args__ = (Index("uq_staff_sessions_token_hash", "token_hash", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 (hex) of the cookie's id
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WebhookDelivery(Base):
    """One event for the outbound webhook. Written in the same transaction as the change it reports,
    so a crash cannot lose it; the worker retries it until it is delivered or given up."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # uuid4, sent as X-Tier0-Delivery
    event: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[str] = mapped_column(String(16), index=True)
    payload: Mapped[str] = mapped_column(Text)  # the exact JSON body that is signed and sent
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
