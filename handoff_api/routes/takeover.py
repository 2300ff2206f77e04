"""/api/tickets/{ticket_id}/takeover, /messages, /release: an agent joins the ticket's chat, writes
to the customer, and hands the chat back to the bot or closes it (staff credentials)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status

from handoff_api import takeover
from handoff_api.deps import DbDep, Principal, SettingsDep, StaffDep
from handoff_api.models import StaffUser, Ticket
from handoff_api.rasa_conversation import RasaUnavailable
from handoff_api.schemas import AgentMessage, AgentMessageOut, ReleaseRequest, TakeoverRequest, TicketDetail

router = APIRouter(prefix="/api/tickets", tags=["takeover"])

ERRORS = {
    404: {"description": "no such ticket"},
    409: {"description": "another agent holds the chat, the caller does not hold it, or the ticket is closed"},
    503: {"description": "the chat service (Rasa) is unreachable: nothing changed"},
}


def _agent(who: Principal) -> StaffUser:
    assert who.staff is not None  # StaffDep
    return who.staff


def _run(call, ticket_id: str):  # noqa: ANN001, ANN202 - one error mapping for the three routes
    try:
        return call()
    except takeover.TicketNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no ticket {ticket_id}") from exc
    except (takeover.HeldByOther, takeover.NotHolder, takeover.NotJoinable) as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except RasaUnavailable as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"{exc}; nothing changed, try again") from exc


@router.post("/{ticket_id}/takeover", response_model=TicketDetail, responses=ERRORS)
def post_takeover(
    ticket_id: str,
    request: Request,
    who: StaffDep,
    db: DbDep,
    settings: SettingsDep,
    body: TakeoverRequest | None = None,
) -> Ticket:
    """Join the chat: the bot stops answering it and the customer reads "<name> from <team> has
    joined". Held by another agent: 409, unless `{"force": true}`."""
    force = bool(body and body.force)
    reader = request.app.state.event_reader
    ticket = _run(lambda: takeover.join(db, settings, reader, ticket_id, _agent(who), force), ticket_id)
    request.app.state.webhook_wake()
    return ticket


@router.post(
    "/{ticket_id}/messages", response_model=AgentMessageOut, status_code=status.HTTP_201_CREATED, responses=ERRORS
)
def post_message(
    ticket_id: str, body: AgentMessage, request: Request, who: StaffDep, db: DbDep, settings: SettingsDep
) -> AgentMessageOut:
    """Write to the customer as yourself (you must hold the chat); the message goes into the
    conversation and onto the ticket."""
    agent = _agent(who)
    text = body.text.strip()
    state = request.app.state
    said = _run(lambda: takeover.say(db, settings, state.event_reader, state.mailer, ticket_id, agent, text), ticket_id)
    return AgentMessageOut(
        ticket_id=said.ticket.id,
        conversation_id=said.ticket.conversation_id,
        author=agent.name,
        text=text,
        sent_at=said.ticket.updated_at,
        mailed_to=said.mailed_to,
    )


@router.post("/{ticket_id}/release", response_model=TicketDetail, responses=ERRORS)
def post_release(
    ticket_id: str,
    request: Request,
    who: StaffDep,
    db: DbDep,
    settings: SettingsDep,
    body: ReleaseRequest | None = None,
) -> Ticket:
    """Hand the chat back to the bot, which answers the customer's next message; with
    `{"resolve": true}` the chat is closed politely and the ticket resolved."""
    resolve = bool(body and body.resolve)
    reader = request.app.state.event_reader
    ticket = _run(lambda: takeover.release(db, settings, reader, ticket_id, _agent(who), resolve), ticket_id)
    request.app.state.webhook_wake()
    return ticket


@router.post("/{ticket_id}/typing", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS)
def post_typing(ticket_id: str, who: StaffDep, db: DbDep, settings: SettingsDep) -> Response:
    """The agent holding the chat types: the customer's widget shows it for a few seconds."""
    _run(lambda: takeover.agent_typing(db, settings, ticket_id, _agent(who)), ticket_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
