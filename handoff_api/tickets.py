"""Ticket creation: ids, storage of the transcript."""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from handoff_api.models import Ticket, TranscriptTurn
from handoff_api.schemas import TicketCreate

ID_PREFIX = "NIM-"


def new_ticket_id(session: Session) -> str:
    while True:
        candidate = f"{ID_PREFIX}{secrets.randbelow(900000) + 100000}"
        if session.get(Ticket, candidate) is None:
            return candidate


def create_ticket(session: Session, data: TicketCreate) -> Ticket:
    ticket = Ticket(
        id=new_ticket_id(session),
        reason=data.reason,
        queue=data.queue,
        summary=data.summary,
        conversation_id=data.conversation_id,
        customer_email=data.customer_email,
        slots=data.slots,
        steps_tried=data.steps_tried,
        kb_articles=data.kb_articles,
    )
    ticket.turns = [
        TranscriptTurn(
            seq=i,
            time=turn.time,
            sender=turn.sender,
            text=turn.text,
            intent=turn.intent,
            confidence=turn.confidence,
            entities=turn.entities,
        )
        for i, turn in enumerate(data.transcript)
    ]
    session.add(ticket)
    session.commit()
    session.refresh(ticket)
    return ticket
