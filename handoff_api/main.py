"""The FastAPI application: `uvicorn --factory handoff_api.main:create_app`."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import secrets
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from accounts.mail import Mailer
from accounts.settings import AccountSettings
from common import redaction
from common.secrets import require_secret
from handoff_api.body_limit import BodyLimitMiddleware
from handoff_api.business_hours import Clock, system_clock
from handoff_api.db import Database
from handoff_api.deps import SESSION_COOKIE
from handoff_api.kb_drafts import check_drafts_dir
from handoff_api.live_transcript import keep_in_sync
from handoff_api.login_throttle import LoginThrottle
from handoff_api.migrate import upgrade_to_head
from handoff_api.page_helpers import LoginRequired
from handoff_api.routes import (
    conversations,
    demo_account,
    health,
    help_site,
    insights,
    staff,
    staff_takeover,
    takeover,
    tickets,
)
from handoff_api.settings import Settings, get_settings
from handoff_api.unicode_check import UnicodeCheckMiddleware
from handoff_api.webhooks import WebhookWorker
from insights.service import Insights
from insights.tracker_events import EventReader

HERE = Path(__file__).parent
log = logging.getLogger(__name__)


# Every HTML page: only our own scripts and styles, no framing, no sniffing, no referrer to other
# sites. The demo page's widget also talks to the Rasa server (HTTP long-polling and WebSocket).
def page_headers(settings: Settings) -> dict[str, str]:
    rasa = settings.rasa_public_url.rstrip("/")
    rasa_ws = rasa.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    return {
        "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' {rasa} {rasa_ws}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "object-src 'none'",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
    }


# Staff pages show customer data and the reset page carries a token: never cached.
NO_STORE_PREFIXES = ("/staff", "/reset")


def _check(settings: Settings) -> None:
    require_secret("HANDOFF_BOT_TOKEN", settings.handoff_bot_token)
    if settings.staff_session_secret or settings.environment == "production":
        require_secret("STAFF_SESSION_SECRET", settings.staff_session_secret)
    if settings.webhook_url and not settings.webhook_secret:
        raise ValueError("WEBHOOK_SECRET must be set when WEBHOOK_URL is (deliveries are signed with it)")
    check_drafts_dir(settings)


def _local_time(value: dt.datetime | None, settings: Settings) -> str:
    return value.astimezone(settings.zone).strftime("%a %d %b %Y %H:%M") if value else ""


def _age(value: dt.datetime | None, now: dt.datetime) -> str:
    if value is None:
        return ""
    seconds = max(0, int((now - value).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    """`clock` returns the current time (aware); tests pass a fixed one for business hours."""
    settings = settings or get_settings()
    _check(settings)
    redaction.redact_logs()
    os.umask(0o077)  # the database and KB drafts hold customers' conversations
    db = Database(settings.database_url)
    worker = WebhookWorker(db, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Every start brings the schema to the newest migration (a no-op when it is there).
        # Sync routes run in anyio's thread pool (40 threads by default). Requests are CPU-bound
        # Python (validation, redaction, ORM): more threads than that only fight over the GIL and
        # finish in random order; queueing the rest keeps the tail short (make bench-handoff).
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        await asyncio.to_thread(upgrade_to_head, db.engine)
        await asyncio.to_thread(redaction.warm_up)
        tasks = [asyncio.create_task(keep_in_sync(db, app.state.event_reader, settings.live_sync_seconds))]
        if settings.webhook_url:
            tasks.append(asyncio.create_task(worker.run()))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            db.engine.dispose()
            app.state.insights.close()
            app.state.event_reader.close()

    app = FastAPI(
        title="Tier0 handoff API",
        version="0.2.0",
        lifespan=lifespan,
        docs_url="/docs" if settings.docs_enabled else None,
        redoc_url="/redoc" if settings.docs_enabled else None,
        openapi_url="/openapi.json" if settings.docs_enabled else None,
        description="Tickets from the bot (bearer token) for the staff (session cookie or HTTP Basic). "
        "See docs/handoff-api.md.",
    )
    app.state.settings = settings
    app.state.db = db
    app.state.clock = clock or system_clock
    app.state.webhook_wake = worker.wake
    app.state.login_throttle = LoginThrottle.from_settings(settings)
    app.state.webhook_worker = worker
    # The review inbox and analytics pages (insights/): tracker store read-only, embedder on first use.
    app.state.insights = Insights(settings.insights_settings())
    # The tickets' live transcripts read the tracker store through this alone.
    app.state.event_reader = EventReader(settings.tracker_db_url)
    # Agent replies to customers who left go as the account mail does (SMTP or the outbox folder).
    app.state.mailer = Mailer(AccountSettings())
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["local_time"] = lambda value: _local_time(value, settings)
    templates.env.filters["age"] = lambda value: _age(value, app.state.clock())
    app.state.templates = templates

    secret = settings.staff_session_secret
    if not secret:
        log.warning("STAFF_SESSION_SECRET is not set: staff sessions end when this process stops")
        secret = secrets.token_urlsafe(32)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie=SESSION_COOKIE,
        max_age=settings.staff_session_max_age_seconds,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    # Inside the body limit: it reads only bodies already held to MAX_REQUEST_BYTES.
    app.add_middleware(UnicodeCheckMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes)
    # The widget bundle is ~150 KB and ~50 KB compressed: it matters on a phone's connection.
    app.add_middleware(GZipMiddleware, minimum_size=1024)

    html_headers = page_headers(settings)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # noqa: ANN001, ANN202
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers.update(html_headers)
        if request.url.path.startswith(NO_STORE_PREFIXES):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse("/staff/login?" + urlencode({"next": exc.next_url}), status_code=303)

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    # The chat widget, one bundled file (socket.io-client, marked and DOMPurify inside it).
    if settings.widget_dir.is_dir():
        app.mount("/widget", StaticFiles(directory=settings.widget_dir), name="widget")
    else:
        log.warning("The chat widget is not built (%s is missing): run `make setup`", settings.widget_dir)
    app.include_router(health.router)
    app.include_router(tickets.router)
    app.include_router(takeover.router)
    app.include_router(conversations.router)
    app.include_router(staff.router)
    app.include_router(staff_takeover.router)
    app.include_router(insights.router)
    app.include_router(help_site.router)
    app.include_router(demo_account.router)
    return app
