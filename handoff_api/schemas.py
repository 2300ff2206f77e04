"""Request and response bodies."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Reason = Literal[
    "low_confidence",
    "no_kb_answer",
    "repeated_failure",
    "customer_asked",
    "customer_frustrated",
    "account_action",
]
Queue = Literal["tier1", "tier2", "billing"]


class TurnIn(BaseModel):
    time: dt.datetime
    sender: Literal["customer", "bot"]
    text: str = ""
    intent: str | None = None
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    entities: list[dict[str, Any]] = Field(default_factory=list)


class TicketCreate(BaseModel):
    conversation_id: str = Field(min_length=1, max_length=128)
    reason: Reason
    # Which team picks it up; the bot knows (billing questions, 2FA recovery), else tier1.
    queue: Queue = "tier1"
    summary: str = Field(default="", max_length=2000)
    customer_email: str | None = Field(default=None, max_length=320)
    transcript: list[TurnIn] = Field(min_length=1)
    slots: dict[str, Any] = Field(default_factory=dict)
    steps_tried: list[dict[str, Any]] = Field(default_factory=list)
    kb_articles: list[str] = Field(default_factory=list)


class TurnOut(TurnIn):
    model_config = ConfigDict(from_attributes=True)
    seq: int


class TicketOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    status: str
    priority: str
    queue: str
    reason: str
    summary: str
    conversation_id: str
    customer_email: str | None
    slots: dict[str, Any]
    steps_tried: list[dict[str, Any]]
    kb_articles: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime
    transcript: list[TurnOut] = Field(validation_alias="turns")


class StatusLookup(BaseModel):
    """A customer asks about their ticket: the id and the email the bot has verified."""

    email: str = Field(min_length=3, max_length=320)


class CustomerTicketView(BaseModel):
    """Only what a customer may see about their ticket."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime
