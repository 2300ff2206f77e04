"""Database tables."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Base(DeclarativeBase):
    pass


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # NIM-123456
    status: Mapped[str] = mapped_column(String(32), default="new", index=True)
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    queue: Mapped[str] = mapped_column(String(16), default="tier1")
    reason: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text, default="")
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    customer_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    slots: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    steps_tried: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    kb_articles: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    turns: Mapped[list[TranscriptTurn]] = relationship(
        back_populates="ticket", order_by="TranscriptTurn.seq", cascade="all, delete-orphan"
    )


class TranscriptTurn(Base):
    __tablename__ = "transcript_turns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sender: Mapped[str] = mapped_column(String(16))  # customer | bot
    text: Mapped[str] = mapped_column(Text, default="")
    intent: Mapped[str | None] = mapped_column(String(64), nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    entities: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    ticket: Mapped[Ticket] = relationship(back_populates="turns")
