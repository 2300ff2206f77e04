"""What the bot tells the service about a customer's chat (bot token): the customer types, their
widget connected or went away, they gave an address to be answered at."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, Response, status

from common import ticket_limits as limits
from handoff_api import customer_contact, takeover
from handoff_api.deps import BotDep, DbDep
from handoff_api.schemas import ContactGiven, ContactOut, Presence

router = APIRouter(prefix="/api/conversations", tags=["conversations"])

ConversationId = Annotated[str, Path(min_length=1, max_length=limits.MAX_CONVERSATION_ID_CHARS)]


def _checked(conversation_id: str) -> str:
    if "\x00" in conversation_id:
        raise HTTPException(422, "NUL characters are not allowed in conversation_id")
    return conversation_id


@router.post("/{conversation_id}/typing", status_code=status.HTTP_204_NO_CONTENT)
def post_customer_typing(conversation_id: ConversationId, _bot: BotDep, db: DbDep) -> Response:
    """The customer types (the bot's socket.io channel passes it on): the page of the agent holding
    their chat shows it. A conversation nobody holds: nothing happens."""
    takeover.customer_typing(db, _checked(conversation_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{conversation_id}/presence", status_code=status.HTTP_204_NO_CONTENT)
def post_presence(
    conversation_id: ConversationId, body: Presence, request: Request, _bot: BotDep, db: DbDep
) -> Response:
    """The customer's widget connected (`online: true`) or went away: an agent's reply to a customer
    who has gone also goes by email."""
    customer_contact.presence(db, _checked(conversation_id), body.online, request.app.state.clock())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{conversation_id}/contact", response_model=ContactOut)
def post_contact(
    conversation_id: ConversationId, body: ContactGiven, request: Request, _bot: BotDep, db: DbDep
) -> ContactOut:
    """An address the customer typed after the handoff: it goes on the conversation's open tickets
    as given, not verified (a verified customer's address is kept). 422 for what is no address."""
    now = request.app.state.clock()
    return ContactOut(tickets=customer_contact.give_contact(db, _checked(conversation_id), body.email, now))
