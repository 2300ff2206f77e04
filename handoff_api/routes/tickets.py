"""/api/tickets: the bot creates and reads tickets."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from sqlalchemy.orm import selectinload

from handoff_api.deps import BotAuth, SessionDep, SettingsDep
from handoff_api.models import Ticket
from handoff_api.schemas import CustomerTicketView, StatusLookup, TicketCreate, TicketOut
from handoff_api.tickets import create_ticket

router = APIRouter(prefix="/api/tickets", tags=["tickets"], dependencies=[BotAuth])


@router.post("", response_model=TicketOut, status_code=status.HTTP_201_CREATED)
def post_ticket(body: TicketCreate, session: SessionDep, settings: SettingsDep) -> Ticket:
    if len(body.transcript) > settings.max_turns:
        raise HTTPException(422, f"transcript has {len(body.transcript)} turns; at most {settings.max_turns}")
    for i, turn in enumerate(body.transcript):
        if len(turn.text) > settings.max_turn_chars:
            raise HTTPException(
                422, f"transcript turn {i} is {len(turn.text)} characters; at most {settings.max_turn_chars}"
            )
    return create_ticket(session, body)


@router.get("/{ticket_id}", response_model=TicketOut)
def get_ticket(ticket_id: str, session: SessionDep) -> Ticket:
    ticket = session.get(Ticket, ticket_id, options=[selectinload(Ticket.turns)])
    if ticket is None:
        raise HTTPException(404, f"no ticket {ticket_id}")
    return ticket


@router.post("/{ticket_id}/status-lookup", response_model=CustomerTicketView)
def lookup_status(ticket_id: str, body: StatusLookup, session: SessionDep) -> Ticket:
    """For the bot, after it verified the customer's email: the same 404 whether the ticket does not
    exist or belongs to someone else, so ids cannot be probed."""
    ticket = session.get(Ticket, ticket_id.upper())
    if ticket is None or (ticket.customer_email or "").lower() != body.email.strip().lower():
        raise HTTPException(404, f"no ticket {ticket_id} for that email")
    return ticket
