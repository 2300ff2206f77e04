"""Reaching a customer who may have left: the address they typed after the handoff, whether their
chat is open now, and the agent's reply by email when it is not.

The bot's chat channel reports the widget connecting and going away (`presence`); the bot passes on
an address the customer types (`give_contact`: stored as given, never as verified). When an agent
writes in a chat whose customer has gone, the message also goes by mail (SMTP, or the outbox folder
in development) with a link that reopens the conversation in the widget (handoff_api/reopen_links.py).
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from accounts.backend import MailError
from accounts.mail import Mailer
from handoff_api import audit
from handoff_api.db import Database
from handoff_api.models import Ticket
from handoff_api.reopen_links import reopen_url
from handoff_api.settings import Settings

# A conversation's tickets that a person may still answer.
ANSWERABLE = ("new", "open", "pending_customer")

log = logging.getLogger(__name__)


def _answerable(session, conversation_id: str) -> list[Ticket]:  # noqa: ANN001
    query = select(Ticket).where(Ticket.conversation_id == conversation_id, Ticket.status.in_(ANSWERABLE))
    return list(session.scalars(query).all())


def give_contact(db: Database, conversation_id: str, email: str, now: dt.datetime) -> list[str]:
    """The address goes on the conversation's open tickets whose customer is not verified (a
    verified customer's proven address is never replaced). The ids of the tickets changed."""
    with db.write_session() as session:
        changed = []
        for ticket in _answerable(session, conversation_id):
            if ticket.customer_verified or ticket.customer_email == email:
                continue
            audit.record(
                ticket, audit.BOT_ACTOR, "contact_given", field="customer_email", old=ticket.customer_email, new=email
            )
            ticket.customer_email, ticket.updated_at = email, now
            changed.append(ticket.id)
        session.commit()
        return changed


def presence(db: Database, conversation_id: str, online: bool, now: dt.datetime) -> int:
    """The customer's widget connected (online) or went away. How many tickets noted it."""
    with db.write_session() as session:
        tickets = _answerable(session, conversation_id)
        for ticket in tickets:
            if online:
                ticket.customer_seen_at = now
            else:
                ticket.customer_left_at = now
        session.commit()
        return len(tickets)


def customer_away(ticket: Ticket) -> bool:
    """Their widget went away and has not come back since. Never seen at all: the chat channel
    could not say (a REST customer), so no mail on a guess."""
    left, seen = ticket.customer_left_at, ticket.customer_seen_at
    return left is not None and (seen is None or left >= seen)


def mail_reply(settings: Settings, mailer: Mailer, ticket: Ticket, agent_name: str, text: str) -> str | None:
    """Send the agent's message to a customer who has left. The address it went to, or None (the
    customer is there, left no address, or the mail failed: the agent's page says which)."""
    if not settings.mail_agent_replies or not ticket.customer_email or not customer_away(ticket):
        return None
    link = reopen_url(settings, ticket.conversation_id)
    days = settings.reopen_link_days
    body = (
        f"Hello,\n\n{agent_name} from {settings.support_team_name} answered in your chat about ticket {ticket.id}:\n\n"
        f"{text}\n\n"
        f"To reply, or to read the whole conversation, open it again (the link works for {days} days):\n{link}\n\n"
        f"{settings.support_team_name}\n"
    )
    try:
        mailer.send(ticket.customer_email, f"Re: your ticket {ticket.id}", body)
    except MailError:
        log.exception("the reply on %s could not be mailed", ticket.id)
        return None
    return ticket.customer_email
