"""The action server's one client of the handoff API: filing a ticket (from the outbox), looking up
a ticket's status for its customer, passing on a contact address. Where the service is, the bot's
token and the timeout come from the action settings, here and nowhere else; each call raises
httpx.HTTPError when the service cannot be reached, and the caller says what that means."""

from __future__ import annotations

from typing import Any

import httpx

from bot.actions.http_client import shared_client
from bot.actions.settings import ActionSettings, get_settings


async def _post(path: str, body: dict[str, Any], settings: ActionSettings | None, **headers: str) -> httpx.Response:
    settings = settings or get_settings()
    return await shared_client().post(
        f"{settings.handoff_api_url}{path}",
        json=body,
        headers={"Authorization": f"Bearer {settings.handoff_bot_token}", **headers},
        timeout=settings.handoff_timeout_seconds,
    )


async def file_ticket(payload: dict[str, Any], key: str, settings: ActionSettings | None = None) -> httpx.Response:
    """A new ticket; the same `key` (Idempotency-Key) never files a second one."""
    return await _post("/api/tickets", payload, settings, **{"Idempotency-Key": key})


async def ticket_status(ticket_id: str, email: str | None, settings: ActionSettings | None = None) -> httpx.Response:
    """A ticket's status, answered only for the address it was filed under (404 otherwise)."""
    return await _post(f"/api/tickets/{ticket_id}/status-lookup", {"email": email}, settings)


async def pass_on_contact(conversation_id: str, email: str, settings: ActionSettings | None = None) -> httpx.Response:
    """The address the conversation's tickets are answered at."""
    return await _post(f"/api/conversations/{conversation_id}/contact", {"email": email}, settings)
