"""Request dependencies: settings, database sessions, who is asking (bot or staff), CSRF.

Credentials:
- the bot: `Authorization: Bearer <HANDOFF_BOT_TOKEN>`;
- staff over the API: `Authorization: Basic <email:password>` (for scripts), or the signed session
  cookie that /staff/login sets (for the staff pages; it counts while its sign-in is open on the
  server: staff_sessions.py). A state-changing API request that rides on the cookie must also send
  the session's CSRF token as `X-CSRF-Token`, since a browser sends the cookie by itself. Basic is
  never challenged (no `WWW-Authenticate: Basic`), so browsers never cache it and send it on their
  own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff_api import staff_presence, staff_sessions
from handoff_api.db import Database
from handoff_api.login_throttle import client_address
from handoff_api.models import StaffUser
from handoff_api.security import new_csrf_token, same_token, verify_password
from handoff_api.settings import Settings

SESSION_COOKIE = "tier0_staff"
CSRF_HEADER = "X-CSRF-Token"

# auto_error=False everywhere: each dependency below decides, so that one route can accept either
# credential. They also put the three schemes into the OpenAPI document.
_bearer = HTTPBearer(auto_error=False, description="the bot's HANDOFF_BOT_TOKEN")
_basic = HTTPBasic(auto_error=False, description="a staff user's email and password")
_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="the staff session from /staff/login")


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_session(request: Request) -> Iterator[Session]:
    yield from request.app.state.db.session()


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
DbDep = Annotated[Database, Depends(get_db)]


@dataclass(frozen=True)
class Principal:
    kind: str  # "bot" | "staff"
    staff: StaffUser | None = None
    via: str = "token"  # token | basic | cookie

    @property
    def actor(self) -> str:
        return self.staff.email if self.staff else "bot"


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def _is_bot(settings: Settings, credentials: HTTPAuthorizationCredentials | None) -> bool:
    return credentials is not None and secrets.compare_digest(
        credentials.credentials.encode(), settings.handoff_bot_token.encode()
    )


def staff_from_session(request: Request, session: Session) -> StaffUser | None:
    """The staff user of a valid session cookie: signed by us, its sign-in still open on the server
    (logging out closes it), made after the user's last password reset."""
    data = request.scope.get("session") or {}
    staff_id, stamp, session_id = data.get("staff_id"), data.get("pwd"), data.get("sid")
    if not isinstance(staff_id, int) or not isinstance(session_id, str):
        return None
    user = session.get(StaffUser, staff_id)
    if user is None or not user.active or stamp != user.password_changed_at.isoformat():
        return None
    return user if staff_sessions.is_open(session, session_id, user.id) else None


def authenticate_staff(session: Session, email: str, password: str) -> StaffUser | None:
    user = session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    ok = verify_password(password, user.password_hash if user else None)
    return user if ok and user is not None and user.active else None


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use); forms carry it as a hidden field."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = new_csrf_token()
    return token


def check_csrf(request: Request, given: str | None) -> None:
    if not same_token(given, request.session.get("csrf")):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token; reload the page and try again")


class _BasicCache:
    """Recently verified Basic credentials. argon2 costs ~0.2 s a check by design; a script that
    sends Basic on every request would pay it every time. Keys are HMACs of the credentials under a
    per-process random key (no password is kept), entries live BASIC_CACHE_SECONDS and die with a
    password reset or deactivation (the user's password stamp is compared on every hit)."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self._entries: dict[bytes, tuple[float, int, str]] = {}
        self._lock = threading.Lock()

    def _digest(self, email: str, password: str) -> bytes:
        return hmac.new(self._key, f"{email.strip().lower()}\x00{password}".encode(), hashlib.sha256).digest()

    def get(self, session: Session, email: str, password: str) -> StaffUser | None:
        with self._lock:
            hit = self._entries.get(self._digest(email, password))
        if hit is None or hit[0] < time.monotonic():
            return None
        user = session.get(StaffUser, hit[1])
        if user is None or not user.active or user.password_changed_at.isoformat() != hit[2]:
            return None
        return user

    def put(self, email: str, password: str, user: StaffUser) -> None:
        with self._lock:
            if len(self._entries) > 1000:  # bounded: drop everything, it refills on demand
                self._entries.clear()
            self._entries[self._digest(email, password)] = (
                time.monotonic() + BASIC_CACHE_SECONDS,
                user.id,
                user.password_changed_at.isoformat(),
            )


BASIC_CACHE_SECONDS = 60
_basic_cache = _BasicCache()


def _staff(
    request: Request,
    session: Session,
    basic: HTTPBasicCredentials | None,
) -> Principal | None:
    if basic is not None:
        user = _basic_cache.get(session, basic.username, basic.password)
        if user is None:
            throttle, client = request.app.state.login_throttle, client_address(request)
            throttle.check(basic.username, client)  # 429 before any argon2 work
            user = authenticate_staff(session, basic.username, basic.password)
            if user is None:
                throttle.failed(basic.username, client)
                raise _unauthorized("wrong staff email or password")
            _basic_cache.put(basic.username, basic.password, user)
        _seen(request, user)
        return Principal("staff", user, via="basic")
    user = staff_from_session(request, session)
    if user is None:
        return None
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        check_csrf(request, request.headers.get(CSRF_HEADER))
    _seen(request, user)
    return Principal("staff", user, via="cookie")


def _seen(request: Request, user: StaffUser) -> None:
    # Agents online, for the customer's wait estimate.
    staff_presence.note_seen(request.app.state.db, user.id, request.app.state.clock())


def require_bot(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if not _is_bot(settings, credentials):
        raise _unauthorized("a valid bot token is required (Authorization: Bearer ...)")
    return Principal("bot")


def require_staff(
    request: Request,
    session: SessionDep,
    basic: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
    _cookie_value: Annotated[str | None, Depends(_cookie)],
) -> Principal:
    principal = _staff(request, session, basic)
    if principal is None:
        raise _unauthorized("staff credentials are required (log in at /staff/login, or HTTP Basic)")
    return principal


def require_bot_or_staff(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    basic: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
    _cookie_value: Annotated[str | None, Depends(_cookie)],
) -> Principal:
    if bearer is not None:
        if not _is_bot(settings, bearer):
            raise _unauthorized("wrong bot token")
        return Principal("bot")
    principal = _staff(request, session, basic)
    if principal is None:
        raise _unauthorized("the bot token or staff credentials are required")
    return principal


BotDep = Annotated[Principal, Depends(require_bot)]
StaffDep = Annotated[Principal, Depends(require_staff)]
BotOrStaffDep = Annotated[Principal, Depends(require_bot_or_staff)]
# Kept for callers that only need the check.
BotAuth = Depends(require_bot)
