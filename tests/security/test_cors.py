"""Browsers may talk to the Rasa server only from the allowed origins (the help site by default):
a page on another site can neither open the customer socket nor read REST replies."""

from __future__ import annotations

import httpx
import pytest
import socketio

pytestmark = pytest.mark.e2e

EVIL = "https://evil.example"


def can_open_socket(stack, origin: str) -> bool:
    client = socketio.Client(reconnection=False)
    try:
        client.connect(stack.rasa_url, transports=["polling"], headers={"Origin": origin}, wait_timeout=10)
    except socketio.exceptions.ConnectionError:
        return False
    client.disconnect()
    return True


def test_a_foreign_site_cannot_open_the_customer_socket(stack) -> None:
    help_site = stack.env["RASA_CORS_ORIGINS"].split()[0]
    assert can_open_socket(stack, help_site)
    assert not can_open_socket(stack, EVIL)


def test_rest_replies_carry_no_cors_grant_for_a_foreign_site(stack) -> None:
    preflight = httpx.options(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.headers.get("access-control-allow-origin") not in (EVIL, "*")
    help_site = stack.env["RASA_CORS_ORIGINS"].split()[0]
    allowed = httpx.options(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        headers={"Origin": help_site, "Access-Control-Request-Method": "POST"},
    )
    assert allowed.headers.get("access-control-allow-origin") == help_site
