"""The demo tenant's password reset page, where the link mailed by the demo account backend
(accounts/demo.py) lands. A real tenant points PASSWORD_RESET_URL at its own account
site instead. No CSRF token: the single-use reset token in the form is itself the secret a forged
request would need."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from accounts import get_backend

router = APIRouter(include_in_schema=False)

MIN_PASSWORD_CHARS = 10  # what the reset mail promises


def _page(request: Request, token: str, *, error: str = "", done_for: str = "", status_code: int = 200) -> HTMLResponse:
    context = {"token": token, "error": error, "done_for": done_for, "min_chars": MIN_PASSWORD_CHARS}
    return request.app.state.templates.TemplateResponse(request, "reset.html", context, status_code=status_code)


@router.get("/reset", response_class=HTMLResponse)
def reset_form(request: Request, token: str = "") -> HTMLResponse:
    # The token is only used up on submit: mail scanners that open links must not spend it.
    if not token:
        return _page(
            request, "", error="This link is incomplete. Ask the assistant for a new reset link.", status_code=400
        )
    return _page(request, token)


@router.post("/reset", response_class=HTMLResponse)
def reset_submit(
    request: Request,
    token: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    repeat: Annotated[str, Form()] = "",
) -> HTMLResponse:
    if len(password) < MIN_PASSWORD_CHARS:
        return _page(request, token, error=f"Choose at least {MIN_PASSWORD_CHARS} characters.", status_code=422)
    if password != repeat:
        return _page(request, token, error="The two passwords are not the same.", status_code=422)
    redeem = getattr(get_backend(), "redeem_reset_token", None)
    if redeem is None:
        return _page(request, token, error="Password resets are handled by your account site.", status_code=404)
    email = redeem(token)
    if email is None:
        return _page(
            request,
            "",
            error="This link has expired or was already used. Ask the assistant for a new reset link.",
            status_code=410,
        )
    # The demo backend keeps no passwords (the assistant never handles them); redeeming the link
    # is what a real account system would do before storing the new password.
    return _page(request, "", done_for=email)
