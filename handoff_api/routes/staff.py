"""Staff pages (server-rendered, no JavaScript needed): log in, the queue, a ticket, and the forms
that work it. Every form carries the session's CSRF token; every page needs a logged-in staff user
(anonymous requests are sent to the login page and see no ticket data)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from typing import Annotated, Any, get_args
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from handoff_api import kb_drafts, staff_sessions, takeover
from handoff_api.deps import (
    DbDep,
    SessionDep,
    SettingsDep,
    authenticate_staff,
    check_csrf,
    staff_from_session,
)
from handoff_api.login_throttle import TooManyAttempts, client_address
from handoff_api.models import PRIORITIES, QUEUES, STATUSES, StaffUser
from handoff_api.page_helpers import flash, render, safe_next, see_other, staff_or_login
from handoff_api.schemas import NoteCreate, Reason, TicketUpdate
from handoff_api.ticket_store import (
    TicketFilters,
    UnknownAssignee,
    add_note,
    count_tickets,
    list_tickets,
    update_ticket,
)

router = APIRouter(prefix="/staff", include_in_schema=False)

PAGE_SIZE = 25
# Queue "age" filter: (label, created_from offset, created_to offset), offsets back from now.
AGES: dict[str, tuple[str, dt.timedelta | None, dt.timedelta | None]] = {
    "": ("any age", None, None),
    "1h": ("newer than 1 hour", dt.timedelta(hours=1), None),
    "24h": ("newer than 24 hours", dt.timedelta(hours=24), None),
    "older-24h": ("older than 24 hours", None, dt.timedelta(hours=24)),
    "older-3d": ("older than 3 days", None, dt.timedelta(days=3)),
    "older-7d": ("older than 7 days", None, dt.timedelta(days=7)),
}
REASONS = get_args(Reason)


# --- log in / out -------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, session: SessionDep, next: str | None = None) -> Response:  # noqa: A002
    if staff_from_session(request, session) is not None:
        return see_other(safe_next(next))
    return render(request, "staff/login.html", {"next": safe_next(next), "error": None, "email": ""})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    db: DbDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token_: Annotated[str, Form(alias="csrf_token")] = "",
    next: Annotated[str, Form(max_length=2000)] = "/staff",  # noqa: A002
) -> Response:
    check_csrf(request, csrf_token_)
    throttle, client = request.app.state.login_throttle, client_address(request)
    try:
        throttle.check(email, client)
    except TooManyAttempts as exc:
        refused = render(
            request,
            "staff/login.html",
            {
                "next": safe_next(next),
                "error": f"Too many failed sign-ins. Wait {exc.retry_after} seconds, then try again.",
                "email": email,
            },
            status_code=exc.status_code,
        )
        refused.headers.update(exc.headers or {})
        return refused
    user = authenticate_staff(session, email, password) if email and password else None
    if user is None:
        throttle.failed(email, client)
        return render(
            request,
            "staff/login.html",
            {"next": safe_next(next), "error": "Wrong email or password.", "email": email},
            status_code=status.HTTP_401_UNAUTHORIZED,
        )
    # A fresh session (and CSRF token) at login: nothing chosen before login carries over.
    request.session.clear()
    session_id = staff_sessions.start(db, user.id, request.app.state.clock())
    request.session.update(
        staff_id=user.id, sid=session_id, pwd=user.password_changed_at.isoformat(), flash=[f"Welcome, {user.name}."]
    )
    return see_other(safe_next(next))


@router.post("/logout")
def logout(request: Request, db: DbDep, csrf_token_: Annotated[str, Form(alias="csrf_token")] = "") -> Response:
    check_csrf(request, csrf_token_)
    # Ended on the server too: a copy of the cookie (another tab, a saved request) stops working.
    session_id = request.session.get("sid")
    if isinstance(session_id, str):
        staff_sessions.end(db, session_id, request.app.state.clock())
    request.session.clear()
    return see_other("/staff/login")


# --- the queue -----------------------------------------------------------------
@router.get("", response_class=HTMLResponse)
def queue_page(
    request: Request,
    session: SessionDep,
    status_: Annotated[str, Query(alias="status", max_length=32)] = "",
    queue: Annotated[str, Query(max_length=32)] = "",
    priority: Annotated[str, Query(max_length=32)] = "",
    reason: Annotated[str, Query(max_length=32)] = "",
    age: Annotated[str, Query(max_length=32)] = "",
    assignee: Annotated[str, Query(max_length=320)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    flood: Annotated[str, Query(max_length=8)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    user = staff_or_login(request, session)
    now = request.app.state.clock()
    # Unknown filter values are ignored rather than refused: these come from a form and a URL bar.
    _, newer, older = AGES.get(age, AGES[""])
    filters = TicketFilters(
        status=[status_] if status_ in STATUSES else [],
        queue=[queue] if queue in QUEUES else [],
        priority=[priority] if priority in PRIORITIES else [],
        reason=[reason] if reason in REASONS else [],
        assignee=user.email if assignee == "me" else ("none" if assignee == "none" else None),
        created_from=now - newer if newer else None,
        created_to=now - older if older else None,
        q=q.replace("\x00", "") or None,
        # Tickets filed beyond one address's escalation limit are listed apart (?flood=1), so a
        # burst from one address cannot bury everyone else's.
        flood_suspected=flood == "1",
    )
    tickets, total = list_tickets(session, filters, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    apart = count_tickets(session, replace(filters, flood_suspected=flood != "1"))
    chosen = {"status": status_, "queue": queue, "priority": priority, "reason": reason, "age": age}
    chosen |= {"assignee": assignee, "q": q, "flood": "1" if flood == "1" else ""}
    query = {k: v for k, v in chosen.items() if v}
    pages = max(1, -(-total // PAGE_SIZE))
    return render(
        request,
        "staff/queue.html",
        {
            "user": user,
            "tickets": tickets,
            "total": total,
            "apart": apart,
            "apart_url": f"/staff?{urlencode(query | {'flood': '' if flood == '1' else '1'})}",
            "page": page,
            "pages": pages,
            "chosen": chosen,
            "prev_url": f"/staff?{urlencode(query | {'page': page - 1})}" if page > 1 else None,
            "next_url": f"/staff?{urlencode(query | {'page': page + 1})}" if page < pages else None,
            "statuses": STATUSES,
            "queues": QUEUES,
            "priorities": PRIORITIES,
            "reasons": REASONS,
            "ages": {k: v[0] for k, v in AGES.items()},
        },
    )


# --- one ticket ------------------------------------------------------------------
@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
def ticket_page(ticket_id: str, request: Request, session: SessionDep, db: DbDep) -> Response:
    user = staff_or_login(request, session)
    # With the turns the conversation gained since the ticket was made (a live takeover, a hand-back).
    ticket = takeover.current(db, request.app.state.event_reader, ticket_id)
    if ticket is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no ticket {ticket_id}")
    staff = session.scalars(select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.name)).all()
    return render(
        request,
        "staff/ticket.html",
        {
            "user": user,
            "ticket": ticket,
            "staff": staff,
            "statuses": STATUSES,
            "queues": QUEUES,
            "priorities": PRIORITIES,
            "draftable": ticket.status in kb_drafts.DRAFTABLE,
            "as_json": lambda v: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False),
        },
    )


@router.post("/tickets/{ticket_id}/update")
def update_form(
    ticket_id: str,
    request: Request,
    session: SessionDep,
    db: DbDep,
    settings: SettingsDep,
    status_: Annotated[str, Form(alias="status")] = "",
    priority: Annotated[str, Form()] = "",
    queue: Annotated[str, Form()] = "",
    assignee: Annotated[str, Form(max_length=320)] = "",
    csrf_token_: Annotated[str, Form(alias="csrf_token")] = "",
) -> Response:
    user = staff_or_login(request, session)
    check_csrf(request, csrf_token_)
    fields: dict[str, Any] = {k: v for k, v in {"status": status_, "priority": priority, "queue": queue}.items() if v}
    fields["assignee"] = assignee or None
    try:
        changes = TicketUpdate(**fields)
        ticket, changed = update_ticket(db, settings, ticket_id, changes, user.email)
    except (ValidationError, UnknownAssignee) as exc:
        raise HTTPException(422, f"cannot update: {exc}") from exc
    if ticket is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no ticket {ticket_id}")
    if changed:
        request.app.state.webhook_wake()
        flash(request, "Saved: " + ", ".join(f"{c['field']} {c['old'] or '-'} → {c['new'] or '-'}" for c in changed))
    return see_other(f"/staff/tickets/{ticket.id}")


@router.post("/tickets/{ticket_id}/notes")
def note_form(
    ticket_id: str,
    request: Request,
    session: SessionDep,
    db: DbDep,
    settings: SettingsDep,
    text: Annotated[str, Form()] = "",
    csrf_token_: Annotated[str, Form(alias="csrf_token")] = "",
) -> Response:
    user = staff_or_login(request, session)
    check_csrf(request, csrf_token_)
    try:
        body = NoteCreate(text=text.strip())
    except ValidationError as exc:
        raise HTTPException(422, "a note needs 1 to 10000 characters") from exc
    note = add_note(db, settings, ticket_id, body.text, user.email)
    if note is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no ticket {ticket_id}")
    request.app.state.webhook_wake()
    flash(request, "Note added.")
    return see_other(f"/staff/tickets/{note.ticket_id}#notes")


@router.post("/tickets/{ticket_id}/kb-draft")
def draft_form(
    ticket_id: str,
    request: Request,
    session: SessionDep,
    db: DbDep,
    settings: SettingsDep,
    title: Annotated[str, Form(max_length=200)] = "",
    csrf_token_: Annotated[str, Form(alias="csrf_token")] = "",
) -> Response:
    user = staff_or_login(request, session)
    check_csrf(request, csrf_token_)
    try:
        draft = kb_drafts.create_draft(db, settings, ticket_id, user.email, title.replace("\x00", "") or None)
    except kb_drafts.NotResolved as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    if draft is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no ticket {ticket_id}")
    flash(request, f"KB draft written: {draft.path} (article id {draft.article_id}).")
    return see_other(f"/staff/tickets/{ticket_id.strip().upper()}")
