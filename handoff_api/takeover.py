"""Live takeover: an agent joins a ticket's chat, writes to the customer as themselves, and hands
the chat back to the bot (or closes it). The bot is paused and resumed through Rasa
(handoff_api/rasa_conversation.py); the ticket records who holds the chat, and its transcript
gains every turn written since it was made (handoff_api/live_transcript.py).

Every change first asks Rasa, then commits: if Rasa cannot be reached, nothing changes here and
the caller is told (the customer's chat and the ticket never disagree about who is answering)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from accounts.mail import Mailer
from common.event_metadata import NOTICE
from handoff_api import audit, customer_contact, rasa_conversation, webhooks
from handoff_api.db import Database
from handoff_api.live_transcript import CHAT_OPEN, sync_turns, with_unsynced_turns
from handoff_api.models import StaffUser, Ticket, utcnow
from handoff_api.settings import Settings
from handoff_api.ticket_store import TICKET_ID, get_ticket, ticket_payload
from insights.tracker_events import EventReader


class TicketNotFound(LookupError):
    pass


@dataclass
class HeldByOther(RuntimeError):
    """Another agent holds the chat; joining needs `force`."""

    name: str
    email: str
    since: dt.datetime | None

    def __str__(self) -> str:
        since = f" since {self.since:%H:%M} UTC" if self.since else ""
        return f"{self.name} ({self.email}) holds this chat{since}; take it over explicitly (force) to join"


class NotHolder(RuntimeError):
    """Only the agent who holds the chat writes in it or hands it back."""


class NotJoinable(RuntimeError):
    pass


def first_name(name: str) -> str:
    return name.split()[0] if name.strip() else "An agent"


def _locked(session: Session, ticket_id: str) -> Ticket:
    """The ticket, its row locked for this transaction (PostgreSQL; SQLite's write sessions are
    exclusive already)."""
    ticket_id = ticket_id.strip().upper()
    ticket = None
    if TICKET_ID.fullmatch(ticket_id):
        query = (
            select(Ticket)
            .where(Ticket.id == ticket_id)
            .options(selectinload(Ticket.turns), selectinload(Ticket.notes), selectinload(Ticket.audit))
            .with_for_update(of=Ticket)
        )
        ticket = session.scalars(query).first()
    if ticket is None:
        raise TicketNotFound(ticket_id)
    return ticket


def _change(ticket: Ticket, actor: str, name: str, new: str | None, changed: list[dict[str, Any]]) -> None:
    """Set a field of the ticket, with its audit row and its entry for the webhook."""
    old = getattr(ticket, name)
    if old != new:
        audit.record(ticket, actor, f"{name}_changed", field=name, old=old, new=new)
        setattr(ticket, name, new)
        changed.append({"field": name, "old": old, "new": new})


def _announce(session: Session, settings: Settings, ticket: Ticket, actor: str, changed: list[dict[str, Any]]) -> None:
    """The outbound webhook's ticket.updated, in the change's own transaction."""
    session.flush()
    payload = {"actor": actor, "changes": changed, "ticket": ticket_payload(ticket, full=False)}
    webhooks.enqueue(session, settings, "ticket.updated", ticket.id, payload)


def join(
    db: Database, settings: Settings, reader: EventReader, ticket_id: str, agent: StaffUser, force: bool
) -> Ticket:
    """`agent` holds the chat and the bot is paused; the customer reads that they joined."""
    with db.write_session() as session:
        ticket = _locked(session, ticket_id)
        if ticket.status not in CHAT_OPEN:
            raise NotJoinable(f"ticket {ticket.id} is {ticket.status}: its chat is over")
        if ticket.held_by == agent.email:
            return ticket  # already theirs: no second "has joined"
        if ticket.held_by and not force:
            raise HeldByOther(ticket.held_by_name or ticket.held_by, ticket.held_by, ticket.held_since)
        events = [] if ticket.held_by else [{"event": "pause"}]
        joined = f"{first_name(agent.name)} from {settings.support_team_name} has joined the chat."
        metadata = rasa_conversation.agent_metadata(agent.name) | {NOTICE: "joined"}
        events.append(rasa_conversation.bot_event(joined, metadata))
        rasa_conversation.append_events(settings, ticket.conversation_id, events)
        previous = ticket.held_by
        ticket.held_by, ticket.held_by_name, ticket.held_since = agent.email, agent.name, utcnow()
        action = "takeover_forced" if previous else "taken_over"
        audit.record(ticket, agent.email, action, old=previous, new=agent.email)
        changed = [{"field": "held_by", "old": previous, "new": agent.email}]
        _change(ticket, agent.email, "assignee", agent.email, changed)
        _change(ticket, agent.email, "status", "open", changed)
        ticket.updated_at = utcnow()
        sync_turns(session, reader, ticket)
        _announce(session, settings, ticket, agent.email, changed)
        session.commit()
        return ticket


@dataclass
class Said:
    ticket: Ticket
    mailed_to: str | None  # the customer had left: the message went to this address too


def say(
    db: Database, settings: Settings, reader: EventReader, mailer: Mailer, ticket_id: str, agent: StaffUser, text: str
) -> Said:
    """The agent's message, sent to the customer and kept in the conversation and on the ticket;
    mailed as well when the customer has left (handoff_api/customer_contact.py)."""
    with db.write_session() as session:
        ticket = _locked(session, ticket_id)
        if ticket.held_by != agent.email:
            raise NotHolder(_not_holder(ticket))
        event = rasa_conversation.bot_event(text, rasa_conversation.agent_metadata(agent.name))
        rasa_conversation.append_events(settings, ticket.conversation_id, [event])
        ticket.updated_at = utcnow()
        ticket.first_agent_reply_at = ticket.first_agent_reply_at or ticket.updated_at
        sync_turns(session, reader, ticket)
        session.commit()
    # After the commit: a slow mail server never holds the ticket's lock.
    mailed_to = customer_contact.mail_reply(settings, mailer, ticket, agent.name, text)
    if mailed_to:
        with db.write_session() as session:
            stored = session.get(Ticket, ticket.id)
            if stored is not None:
                audit.record(stored, agent.email, "reply_mailed", new=mailed_to)
                session.commit()
    return Said(ticket, mailed_to)


def release(
    db: Database, settings: Settings, reader: EventReader, ticket_id: str, agent: StaffUser, resolve: bool
) -> Ticket:
    """The bot answers again; the customer is told so (or, closing, that the chat has ended and
    the ticket is resolved)."""
    with db.write_session() as session:
        ticket = _locked(session, ticket_id)
        if ticket.held_by != agent.email:
            raise NotHolder(_not_holder(ticket))
        if resolve:
            line = (
                f"Thanks for chatting with {settings.support_team_name}. I've marked this solved and closed "
                "the chat. If you need anything else, just write here and our assistant will help."
            )
        else:
            line = "I'm handing you back to our assistant now. If you need a person again, just ask for one."
        notice = {NOTICE: "closed" if resolve else "released"}
        events = [
            rasa_conversation.bot_event(line, rasa_conversation.agent_metadata(agent.name) | notice),
            {"event": "resume"},
            # The bot's next turn starts from listening, as after any answer of its own.
            {"event": "action", "name": "action_listen"},
        ]
        rasa_conversation.append_events(settings, ticket.conversation_id, events)
        audit.record(ticket, agent.email, "chat_closed" if resolve else "released", old=agent.email)
        ticket.held_by = ticket.held_by_name = ticket.held_since = None
        changed = [{"field": "held_by", "old": agent.email, "new": None}]
        if resolve:
            _change(ticket, agent.email, "status", "resolved", changed)
        ticket.updated_at = utcnow()
        sync_turns(session, reader, ticket)
        _announce(session, settings, ticket, agent.email, changed)
        session.commit()
        return ticket


def agent_typing(db: Database, settings: Settings, ticket_id: str, agent: StaffUser) -> None:
    """The customer sees that the agent holding their chat types."""
    with db.read_session() as session:
        ticket = get_ticket(session, ticket_id, detail=False)
        if ticket is None:
            raise TicketNotFound(ticket_id)
        if ticket.held_by != agent.email:
            raise NotHolder(_not_holder(ticket))
        conversation_id = ticket.conversation_id
    rasa_conversation.agent_typing(settings, conversation_id, agent.name)


def customer_typing(db: Database, conversation_id: str) -> int:
    """The customer of a held chat types: the agent's page shows it. How many held tickets."""
    with db.write_session() as session:
        held = session.scalars(
            select(Ticket).where(Ticket.conversation_id == conversation_id, Ticket.held_by.is_not(None))
        ).all()
        for ticket in held:
            ticket.customer_typing_at = utcnow()
        session.commit()
        return len(held)


def current(db: Database, reader: EventReader, ticket_id: str) -> Ticket | None:
    """The ticket as it reads now, with the turns its conversation gained since the last copy;
    a read: nothing is written (the copy is made when an agent acts or the conversation moves)."""
    with db.read_session() as session:
        ticket = get_ticket(session, ticket_id)
        if ticket is None:
            return None
        session.expunge(ticket)  # detached: the turns shown but not copied yet are never flushed
    return with_unsynced_turns(reader, ticket)


def _not_holder(ticket: Ticket) -> str:
    if ticket.held_by:
        return f"{ticket.held_by_name or ticket.held_by} holds this chat; join it first"
    return "nobody holds this chat: join it first"
