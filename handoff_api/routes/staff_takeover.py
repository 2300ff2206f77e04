"""The live takeover on the staff ticket page: join the chat (or take it over from another agent),
write to the customer, hand the chat back to the bot or close it, and the page's live feed of new
turns (server-sent events). The forms work without JavaScript; the feed only adds the turns that
arrive while the page is open."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse
from pydantic import ValidationError

from handoff_api import takeover
from handoff_api.deps import DbDep, SessionDep, SettingsDep, check_csrf
from handoff_api.models import TranscriptTurn, utcnow
from handoff_api.page_helpers import flash, see_other, staff_or_login
from handoff_api.rasa_conversation import RasaUnavailable
from handoff_api.schemas import AgentMessage

router = APIRouter(prefix="/staff", include_in_schema=False)

# How often an open ticket page's feed looks for new turns, and how long one feed lives before the
# browser reconnects (EventSource does it by itself, with the last turn it has).
LIVE_POLL_SECONDS = 1.0
LIVE_STREAM_SECONDS = 300.0
# The widget says the customer types at most every 2 s while they do; shown this long after.
TYPING_SHOWN_SECONDS = 4.0


def _page(ticket_id: str, anchor: str = "live") -> str:
    return f"/staff/tickets/{ticket_id.strip().upper()}#{anchor}"


def _do(request: Request, ticket_id: str, call, done) -> Response:  # noqa: ANN001
    """Run a takeover step for a form; its outcome is flashed on the ticket page (`done`: the
    words, or a function of the step's result that gives them)."""
    try:
        result = call()
    except takeover.TicketNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no ticket {ticket_id}") from exc
    except (takeover.HeldByOther, takeover.NotHolder, takeover.NotJoinable, RasaUnavailable) as exc:
        flash(request, f"Not done: {exc}.")
        return see_other(_page(ticket_id))
    flash(request, done(result) if callable(done) else done)
    return see_other(_page(ticket_id))


@router.post("/tickets/{ticket_id}/takeover")
def takeover_form(
    ticket_id: str,
    request: Request,
    session: SessionDep,
    db: DbDep,
    settings: SettingsDep,
    force: Annotated[str, Form()] = "",
    csrf_token_: Annotated[str, Form(alias="csrf_token")] = "",
) -> Response:
    user = staff_or_login(request, session)
    check_csrf(request, csrf_token_)
    reader = request.app.state.event_reader
    call = lambda: takeover.join(db, settings, reader, ticket_id, user, bool(force))  # noqa: E731
    return _do(request, ticket_id, call, "You joined the chat: the bot is paused until you hand it back.")


@router.post("/tickets/{ticket_id}/messages")
def message_form(
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
        body = AgentMessage(text=text.strip())
    except ValidationError as exc:
        raise HTTPException(422, "a message needs 1 to 5000 characters") from exc
    reader = request.app.state.event_reader
    mailer = request.app.state.mailer
    call = lambda: takeover.say(db, settings, reader, mailer, ticket_id, user, body.text)  # noqa: E731
    return _do(request, ticket_id, call, sent_words)


def sent_words(said: takeover.Said) -> str:
    if said.mailed_to:
        return f"Sent. The customer has left the chat, so it went to {said.mailed_to} by email too."
    return "Sent."


@router.post("/tickets/{ticket_id}/release")
def release_form(
    ticket_id: str,
    request: Request,
    session: SessionDep,
    db: DbDep,
    settings: SettingsDep,
    resolve: Annotated[str, Form()] = "",
    csrf_token_: Annotated[str, Form(alias="csrf_token")] = "",
) -> Response:
    user = staff_or_login(request, session)
    check_csrf(request, csrf_token_)
    reader = request.app.state.event_reader
    call = lambda: takeover.release(db, settings, reader, ticket_id, user, bool(resolve))  # noqa: E731
    done = "Chat closed and ticket resolved." if resolve else "Handed back to the assistant."
    return _do(request, ticket_id, call, done)


def _turn_json(turn: TranscriptTurn) -> dict:
    return {
        "seq": turn.seq,
        "sender": turn.sender,
        "author": turn.author,
        "text": turn.text,
        "time": turn.time.isoformat(),
        "intent": turn.intent,
        "confidence": turn.confidence,
    }


@router.get("/tickets/{ticket_id}/live")
async def live_feed(
    ticket_id: str,
    request: Request,
    db: DbDep,
    after: Annotated[int, Query(ge=-1, le=10_000_000)] = -1,
) -> Response:
    """Server-sent events: each new turn of the ticket (`turn`), and who holds the chat (`holder`)
    whenever that changes. `after`: the last turn the page shows (EventSource's Last-Event-ID wins).
    No database session is held between looks: an open page must not keep a pooled connection."""

    def signed_in() -> None:
        with db.read_session() as session:
            staff_or_login(request, session)

    await run_in_threadpool(signed_in)
    last_id = request.headers.get("last-event-id")
    if last_id and last_id.isdigit():
        after = int(last_id)
    reader = request.app.state.event_reader
    if await run_in_threadpool(takeover.current, db, reader, ticket_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no ticket {ticket_id}")

    async def events() -> AsyncIterator[str]:
        seen, holder, typing = after, object(), False
        loop = asyncio.get_running_loop()
        ends = loop.time() + LIVE_STREAM_SECONDS
        yield f"retry: {int(LIVE_POLL_SECONDS * 1000)}\n\n"
        while loop.time() < ends and not await request.is_disconnected():
            ticket = await run_in_threadpool(takeover.current, db, reader, ticket_id)
            if ticket is None:
                return
            for turn in ticket.turns:
                if turn.seq > seen:
                    seen = turn.seq
                    yield f"id: {turn.seq}\nevent: turn\ndata: {json.dumps(_turn_json(turn))}\n\n"
            if ticket.held_by_name != holder:
                holder = ticket.held_by_name
                yield f"event: holder\ndata: {json.dumps({'name': holder, 'email': ticket.held_by})}\n\n"
            since = ticket.customer_typing_at
            now_typing = bool(ticket.held_by and since and (utcnow() - since).total_seconds() < TYPING_SHOWN_SECONDS)
            if now_typing != typing:
                typing = now_typing
                yield f"event: typing\ndata: {json.dumps({'customer': typing})}\n\n"
            await asyncio.sleep(LIVE_POLL_SECONDS)

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})
