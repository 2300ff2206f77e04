"""Request and response bodies (the API contract; see docs/handoff-api.md)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from common import ticket_limits as limits
from common.conversation import ESCALATION_REASONS


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refuse it on every backend so both behave the same.
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]


def _in_utc(value: dt.datetime) -> dt.datetime:
    # A time whose UTC falls outside the calendar (year 1 with a positive offset) cannot be stored.
    try:
        return (value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)).astimezone(dt.timezone.utc)
    except OverflowError as exc:
        raise ValueError("time out of range") from exc


# A time the client sends: any offset, kept in UTC (naive times are taken to be UTC).
Time = Annotated[dt.datetime, AfterValidator(_in_utc)]
# The shape of an address, nothing more: whether it reaches anybody only a mail to it can tell.
EMAIL_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")

# The escalation reasons, spelled once (common/conversation.py).
Reason = Literal[tuple(ESCALATION_REASONS)]  # type: ignore[valid-type]
Queue = Literal["tier1", "tier2", "billing"]
Status = Literal["new", "open", "pending_customer", "resolved", "closed"]
Priority = Literal["low", "normal", "high", "urgent"]


class TurnIn(BaseModel):
    time: Time
    sender: Literal["customer", "bot"]
    # Length is checked against MAX_TURN_CHARS by the route, with a message that names the turn.
    text: Text = ""
    intent: Annotated[Text, Field(max_length=64)] | None = None
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    entities: list[dict[str, Any]] = Field(default_factory=list)


class TicketCreate(BaseModel):
    conversation_id: Text = Field(min_length=1, max_length=limits.MAX_CONVERSATION_ID_CHARS)
    reason: Reason
    # Which team picks it up; the bot knows (billing questions, 2FA recovery), else tier1.
    queue: Queue = "tier1"
    # Unset: derived from the reason (customer_frustrated and account_action -> high, else normal).
    priority: Priority | None = None
    summary: Text = Field(default="", max_length=limits.MAX_SUMMARY_CHARS)
    customer_email: Text | None = Field(default=None, max_length=limits.MAX_EMAIL_CHARS)
    customer_name: Text | None = Field(default=None, max_length=limits.MAX_NAME_CHARS)
    # True when the bot verified the email with a one-time code.
    customer_verified: bool = False
    transcript: list[TurnIn] = Field(min_length=1)
    slots: dict[str, Any] = Field(default_factory=dict)
    steps_tried: list[dict[str, Any]] = Field(default_factory=list)
    kb_articles: list[Annotated[Text, Field(max_length=limits.MAX_ARTICLE_ID_CHARS)]] = Field(default_factory=list)
    # Set by the bot when the full escalation was refused and this is what could be kept; the staff
    # queue shows it.
    alert: Text | None = Field(default=None, max_length=limits.MAX_ALERT_CHARS)
    # Set by the bot beyond its hourly escalation limit for the client's address: that address's
    # escalations in the hour. The ticket is kept and shown apart on the staff queue.
    flood_suspected: int | None = Field(default=None, ge=1, le=limits.MAX_COUNT)


class TurnOut(TurnIn):
    model_config = ConfigDict(from_attributes=True)
    seq: int
    # "agent": a person wrote it in a live takeover; `author` is their display name.
    sender: Literal["customer", "bot", "agent"]
    author: str | None = None


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    author: str
    text: str
    created_at: dt.datetime


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    actor: str
    action: str
    field: str | None
    old_value: str | None
    new_value: str | None
    at: dt.datetime


class TicketSummary(BaseModel):
    """A row of the list: everything but the conversation."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    status: str
    priority: str
    queue: str
    reason: str
    summary: str
    conversation_id: str
    customer_email: str | None
    customer_name: str | None
    customer_verified: bool
    assignee: str | None
    alert: str | None = None
    flood_suspected: int | None = None
    expected_pickup_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class TicketOut(TicketSummary):
    """What a create returns (and the bot may read back)."""

    slots: dict[str, Any]
    steps_tried: list[dict[str, Any]]
    kb_articles: list[str]
    # One customer-facing sentence: when a person will pick the ticket up.
    pickup_message: str
    transcript: list[TurnOut] = Field(validation_alias="turns")


class TicketDetail(TicketOut):
    notes: list[NoteOut]
    audit: list[AuditOut]
    # Live takeover: who holds the chat (the bot is paused meanwhile), since when.
    held_by: str | None = None
    held_by_name: str | None = None
    held_since: dt.datetime | None = None


class TakeoverRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Another agent holds the chat: take it from them (they are told on their page).
    force: bool = False


class AgentMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Text = Field(min_length=1, max_length=limits.MAX_TURN_CHARS)

    @model_validator(mode="after")
    def _not_blank(self) -> AgentMessage:
        if not self.text.strip():
            raise ValueError("text is blank")
        return self


class AgentMessageOut(BaseModel):
    ticket_id: str
    conversation_id: str
    author: str
    text: str
    sent_at: dt.datetime
    # The customer had left the chat: the message went to this address by email too.
    mailed_to: str | None = None


class ContactGiven(BaseModel):
    """An address the customer typed after the handoff (not proven: nothing of the account goes there)."""

    model_config = ConfigDict(extra="forbid")
    email: Text = Field(min_length=3, max_length=limits.MAX_EMAIL_CHARS)

    @field_validator("email")
    @classmethod
    def _an_address(cls, value: str) -> str:
        value = value.strip()
        if not EMAIL_ADDRESS.fullmatch(value):
            raise ValueError("not an email address")
        return value.lower()


class ContactOut(BaseModel):
    tickets: list[str]  # the tickets that will be answered there


class Presence(BaseModel):
    model_config = ConfigDict(extra="forbid")
    online: bool


class ReleaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Close: the ticket is resolved and the customer is told the chat has ended (the bot still
    # answers if they write again).
    resolve: bool = False


class TicketPage(BaseModel):
    items: list[TicketSummary]
    total: int
    limit: int
    offset: int


class TicketUpdate(BaseModel):
    """PATCH: only the fields sent change; `"assignee": null` unassigns."""

    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    priority: Priority | None = None
    queue: Queue | None = None
    assignee: Text | None = Field(default=None, max_length=320)

    @model_validator(mode="after")
    def _something(self) -> TicketUpdate:
        if not self.model_fields_set:
            raise ValueError("send at least one of status, priority, queue, assignee")
        for name in ("status", "priority", "queue"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Text = Field(min_length=1, max_length=10000)


class DraftCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Unset: taken from the ticket's summary.
    title: Text | None = Field(default=None, max_length=200)


class DraftOut(BaseModel):
    article_id: str
    path: str


class StatusLookup(BaseModel):
    """A customer asks about their ticket: the id and the email the bot has verified."""

    email: Text = Field(min_length=3, max_length=320)


class CustomerTicketView(BaseModel):
    """Only what a customer may see about their ticket."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime
