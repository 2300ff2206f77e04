"""Every server reads request bodies only up to a limit: the Rasa channels (Sanic's
REQUEST_MAX_SIZE, 2 MB), the action server (ACTION_REQUEST_MAX_BYTES) and the handoff API
(MAX_REQUEST_BYTES) answer 413 before reading more, and keep serving everyone else."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.rest_chat import Chat

pytestmark = pytest.mark.e2e


def test_rasa_refuses_a_body_over_its_limit_with_413(stack) -> None:
    body = b'{"sender": "big-body", "message": "' + b"a" * 3_000_000 + b'"}'
    r = httpx.post(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert r.status_code == 413
    assert "Let's" in Chat(stack, "after-big-body").say("my wifi keeps dropping")


def test_the_handoff_api_refuses_a_body_over_its_limit_with_413(stack) -> None:
    body = b'{"conversation_id": "x", "summary": "' + b"a" * 17_000_000 + b'"}'
    r = httpx.post(
        f"{stack.handoff_url}/api/tickets",
        content=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {stack.bot_token}"},
        timeout=60,
    )
    assert r.status_code == 413 and "request body over" in r.json()["detail"]
    assert httpx.get(f"{stack.handoff_url}/readyz").status_code == 200


def test_the_action_server_refuses_a_body_over_its_limit_even_with_the_token(stack) -> None:
    r = httpx.post(
        f"{stack.action_url}/webhook",
        content=b'{"next_action": "action_listen", "tracker": {"events": ["' + b"a" * 17_000_000 + b'"]}}',
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {stack.env['ACTION_SERVER_TOKEN']}"},
        timeout=60,
    )
    assert r.status_code == 413
    assert httpx.get(f"{stack.action_url}/health").status_code == 200
