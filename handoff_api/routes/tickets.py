"""/api/tickets: the bot creates tickets and looks up their status; staff list, read and work them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response, status

from handoff_api import kb_drafts, takeover
from handoff_api.deps import BotDep, BotOrStaffDep, DbDep, SessionDep, SettingsDep, StaffDep
from handoff_api.models import Note, Ticket
from handoff_api.schemas import (
    CustomerTicketView,
    DraftCreate,
    DraftOut,
    NoteCreate,
    NoteOut,
    Priority,
    Queue,
    Reason,
    Status,
    StatusLookup,
    TicketCreate,
    TicketDetail,
    TicketOut,
    TicketPage,
    TicketSummary,
    TicketUpdate,
    Time,
)
from handoff_api.ticket_store import (
    IdempotencyConflict,
    TicketFilters,
    UnknownAssignee,
    add_note,
    create_ticket,
    get_ticket,
    list_tickets,
    update_ticket,
)

router = APIRouter(prefix="/api/tickets", tags=["tickets"])

REPLAY_HEADER = "Idempotent-Replayed"


def _not_found(ticket_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no ticket {ticket_id}")


@router.post(
    "",
    response_model=TicketOut,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "the Idempotency-Key was used with a different body"}},
)
def post_ticket(
    body: TicketCreate,
    request: Request,
    response: Response,
    _bot: BotDep,
    db: DbDep,
    settings: SettingsDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=255,
            pattern=r"^[\x21-\x7e]+$",
            description="the same key on a retry returns the first ticket (same id, no second ticket)",
        ),
    ] = None,
) -> Ticket:
    """Create a ticket (bot token). Customer turns, the summary, slots and steps are redacted
    before they are stored. A retry with the same `Idempotency-Key` and body answers with the ticket
    the first request made (status 201 again, header `Idempotent-Replayed: true`); the same key with
    a different body is refused with 409."""
    if len(body.transcript) > settings.max_turns:
        raise HTTPException(422, f"transcript has {len(body.transcript)} turns; at most {settings.max_turns}")
    for i, turn in enumerate(body.transcript):
        if len(turn.text) > settings.max_turn_chars:
            raise HTTPException(
                422, f"transcript turn {i} is {len(turn.text)} characters; at most {settings.max_turn_chars}"
            )
    try:
        ticket, replayed = create_ticket(db, settings, body, request.app.state.clock(), idempotency_key)
    except IdempotencyConflict as exc:
        raise HTTPException(
            status.HTTP_409_CONFLICT, "this Idempotency-Key was already used for a different ticket request"
        ) from exc
    if replayed:
        response.headers[REPLAY_HEADER] = "true"
    else:
        request.app.state.webhook_wake()
    return ticket


@router.get("", response_model=TicketPage)
def get_tickets(
    _staff: StaffDep,
    session: SessionDep,
    status_: Annotated[list[Status], Query(alias="status")] = [],  # noqa: B006 - FastAPI copies defaults
    queue: Annotated[list[Queue], Query()] = [],  # noqa: B006
    priority: Annotated[list[Priority], Query()] = [],  # noqa: B006
    reason: Annotated[list[Reason], Query()] = [],  # noqa: B006
    assignee: Annotated[str | None, Query(max_length=320, description='a staff email, or "none"')] = None,
    created_from: Annotated[Time | None, Query(description="created at or after (ISO 8601)")] = None,
    created_to: Annotated[Time | None, Query(description="created before (ISO 8601)")] = None,
    q: Annotated[str | None, Query(max_length=200, description="text in id, summary, customer, transcript")] = None,
    order: Literal["newest", "oldest"] = "newest",
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> TicketPage:
    """List tickets (staff), newest first, with filters (repeat a parameter for several values)."""
    if q is not None and "\x00" in q:
        raise HTTPException(422, "NUL characters are not allowed in q")
    if assignee is not None and "\x00" in assignee:
        raise HTTPException(422, "NUL characters are not allowed in assignee")
    filters = TicketFilters(
        status=list(status_),
        queue=list(queue),
        priority=list(priority),
        reason=list(reason),
        assignee=assignee,
        created_from=created_from,
        created_to=created_to,
        q=q,
        oldest_first=order == "oldest",
    )
    items, total = list_tickets(session, filters, limit, offset)
    return TicketPage(items=[TicketSummary.model_validate(t) for t in items], total=total, limit=limit, offset=offset)


@router.get("/{ticket_id}", response_model=TicketDetail)
def read_ticket(ticket_id: str, request: Request, _who: BotOrStaffDep, db: DbDep) -> Ticket:
    """The whole ticket with transcript, notes and audit trail (bot token or staff). The transcript
    goes on after the ticket was made: the customer's messages, an agent's, the bot's after the
    hand-back, each with who wrote it."""
    ticket = takeover.current(db, request.app.state.event_reader, ticket_id)
    if ticket is None:
        raise _not_found(ticket_id)
    return ticket


@router.patch("/{ticket_id}", response_model=TicketDetail, responses={404: {}, 422: {}})
def patch_ticket(
    ticket_id: str, body: TicketUpdate, request: Request, who: StaffDep, db: DbDep, settings: SettingsDep
) -> Ticket:
    """Change status, priority, queue or assignee (staff); each change goes into the audit trail."""
    try:
        ticket, changed = update_ticket(db, settings, ticket_id, body, who.actor)
    except UnknownAssignee as exc:
        raise HTTPException(422, str(exc)) from exc
    if ticket is None:
        raise _not_found(ticket_id)
    if changed:
        request.app.state.webhook_wake()
    return ticket


@router.post("/{ticket_id}/notes", response_model=NoteOut, status_code=status.HTTP_201_CREATED)
def post_note(
    ticket_id: str, body: NoteCreate, request: Request, who: StaffDep, db: DbDep, settings: SettingsDep
) -> Note:
    """Add an internal note (staff)."""
    note = add_note(db, settings, ticket_id, body.text, who.actor)
    if note is None:
        raise _not_found(ticket_id)
    request.app.state.webhook_wake()
    return note


@router.post("/{ticket_id}/kb-draft", response_model=DraftOut, status_code=status.HTTP_201_CREATED)
def post_kb_draft(ticket_id: str, body: DraftCreate, who: StaffDep, db: DbDep, settings: SettingsDep) -> DraftOut:
    """Turn a resolved (or closed) ticket into a KB article draft in KB_DRAFTS_DIR (staff)."""
    try:
        draft = kb_drafts.create_draft(db, settings, ticket_id, who.actor, body.title)
    except kb_drafts.NotResolved as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    if draft is None:
        raise _not_found(ticket_id)
    return DraftOut(article_id=draft.article_id, path=str(draft.path))


@router.post("/{ticket_id}/status-lookup", response_model=CustomerTicketView)
def lookup_status(ticket_id: str, body: StatusLookup, _bot: BotDep, session: SessionDep) -> Ticket:
    """For the bot, after it verified the customer's email: the same 404 whether the ticket does not
    exist or belongs to someone else, so ids cannot be probed."""
    ticket = get_ticket(session, ticket_id, detail=False)
    if ticket is None or (ticket.customer_email or "").lower() != body.email.strip().lower():
        raise HTTPException(404, f"no ticket {ticket_id} for that email")
    return ticket
