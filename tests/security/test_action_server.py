"""The action server takes calls from Rasa only, and account actions need the verification the
account backend recorded, not slots a caller claims."""

from __future__ import annotations

import httpx
import pytest

from accounts.mail import read_outbox

pytestmark = pytest.mark.e2e


def forged_call(action: str, slots: dict) -> dict:
    """What an attacker on the network would send: a tracker whose slots say "verified"."""
    return {
        "next_action": action,
        "sender_id": "attacker",
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": "attacker",
            "slots": slots,
            "latest_message": {"text": "yes", "intent": {"name": "affirm", "confidence": 1.0}, "entities": []},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
            "latest_event_time": 0,
        },
    }


RESET_ALEX = {"email": "alex@example.com", "verified_email": "alex@example.com", "account_task": "reset_password"}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer guessed-token"}, {"Authorization": "Basic YWRtaW46YWRtaW4="}],
    ids=["no token", "wrong token", "other scheme"],
)
def test_a_forged_webhook_gets_401_and_mails_nothing(stack, headers: dict) -> None:
    before = len(read_outbox(stack.outbox, to="alex@example.com"))
    r = httpx.post(
        f"{stack.action_url}/webhook", json=forged_call("action_run_account_task", RESET_ALEX), headers=headers
    )
    assert r.status_code == 401
    assert "reset" not in r.text.lower()
    assert len(read_outbox(stack.outbox, to="alex@example.com")) == before


def test_even_with_the_token_slots_alone_do_not_unlock_account_actions(stack) -> None:
    """Defence in depth: a caller that has the token (a compromised Rasa host, say) still cannot act
    for an address that no correct code verified in that conversation."""
    before = len(read_outbox(stack.outbox, to="alex@example.com"))
    r = httpx.post(
        f"{stack.action_url}/webhook",
        json=forged_call("action_run_account_task", RESET_ALEX),
        headers={"Authorization": f"Bearer {stack.env['ACTION_SERVER_TOKEN']}"},
    )
    assert r.status_code == 200
    said = " ".join(m.get("text") or "" for m in r.json()["responses"])
    assert "reset link" not in said.lower() or "sent" not in said.lower()
    assert len(read_outbox(stack.outbox, to="alex@example.com")) == before


def test_the_action_server_sends_no_cors_headers(stack) -> None:
    r = httpx.options(
        f"{stack.action_url}/webhook",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in {k.lower() for k in r.headers}
