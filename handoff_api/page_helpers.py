"""What every server-rendered staff page shares: the staff user or a redirect to the login page,
rendering a template with the CSRF token and the flash messages, and the redirect after a form."""

from __future__ import annotations

from typing import Any

from fastapi import Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from handoff_api import staff_presence
from handoff_api.deps import csrf_token, staff_from_session
from handoff_api.models import StaffUser


class LoginRequired(Exception):
    """Raised by page handlers; main.py turns it into a redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def safe_next(value: str | None) -> str:
    # Only our own staff pages: no open redirect to another site.
    if value and value.startswith("/staff") and not value.startswith("//") and "\\" not in value:
        return value
    return "/staff"


def staff_or_login(request: Request, session) -> StaffUser:  # noqa: ANN001
    user = staff_from_session(request, session)
    if user is None:
        raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    staff_presence.note_seen(request.app.state.db, user.id, request.app.state.clock())
    return user


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    context = {
        "csrf_token": csrf_token(request),
        "flash": request.session.pop("flash", []),
        "now": request.app.state.clock(),
        "zone": request.app.state.settings.zone,
        **context,
    }
    return request.app.state.templates.TemplateResponse(request, template, context, status_code=status_code)


def flash(request: Request, message: str) -> None:
    request.session["flash"] = [*request.session.get("flash", []), message]


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)
