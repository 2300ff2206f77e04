"""Secrets a customer typed never reach the database: the rows themselves are read with SQL."""

from __future__ import annotations

from fastapi.testclient import TestClient

from common.redaction import redact
from tests.handoff_api.conftest import BOT, TestDatabase, ticket_body

PASSWORD, CARD, CODE, KEY = "Hunter2!xyz", "4111 1111 1111 1111", "482913", "NMB8X-3LD7Q-W4K9M-2RV5T"
TYPO_CARD = "4111-1111-1111-1112"  # fails the Luhn check: the spaCy layer still masks it after "card"


def turn(sender: str, text: str, **extra) -> dict:
    return {"time": "2026-11-22T10:00:00Z", "sender": sender, "text": text} | extra


def test_secrets_are_masked_in_every_stored_row(client: TestClient, database: TestDatabase) -> None:
    body = ticket_body(
        summary=f"Customer said password is {PASSWORD} and gave key {KEY}",
        transcript=[
            turn("customer", f"my password is {PASSWORD} and it fails", intent="login_problem", confidence=0.9),
            turn("bot", "Please type the 6-digit code from the email."),
            turn("customer", CODE, intent="inform", entities=[{"entity": "otp_code", "value": CODE}]),
            turn("customer", f"card {CARD} was charged twice, my visa card {TYPO_CARD}"),
            turn(
                "customer",
                f"activate {KEY} please; the password I used was Summer2024",
                entities=[{"entity": "license_key", "value": KEY}],
            ),
        ],
        slots={"otp_code": CODE, "license_key": KEY, "email": "anna@example.com"},
        steps_tried=[{"step": f"Tried key {KEY}", "outcome": "not_fixed"}],
    )
    r = client.post("/api/tickets", json=body, headers=BOT)
    assert r.status_code == 201, r.text
    # The ticket number is random and may contain a secret's digits ("NIM-984111"): it is not customer text.
    dump = repr(
        database.rows("SELECT * FROM tickets")
        + database.rows("SELECT * FROM transcript_turns")
        + database.rows("SELECT * FROM ticket_audit")
    ).replace(r.json()["id"], "[ticket]")
    for secret in (PASSWORD, "Hunter2", CARD, "4111", CODE, KEY, "Summer2024", TYPO_CARD):
        assert secret not in dump, f"{secret!r} was stored"
    texts = [t for (t,) in database.rows("SELECT text FROM transcript_turns ORDER BY seq")]
    assert texts == [
        "my password is [password] and it fails",
        "Please type the 6-digit code from the email.",
        "[one-time code]",
        "card [card number] was charged twice, my visa card [card number]",
        "activate [license key] please; the password I used was [password]",
    ]
    (summary,) = database.rows("SELECT summary FROM tickets")[0]
    assert summary == "Customer said password is [password] and gave key [license key]"
    assert "anna@example.com" in dump  # ordinary data is kept


def test_matcher_layer_keeps_ordinary_text() -> None:
    for text in (
        "the password reset link was not sent",
        "how do I pin a file",
        "order 1234 arrived",
        "ticket NIM-123456",
        "my card was declined",
        "error code E1005",
    ):
        assert redact(text) == text
    assert redact("code: 123-456") == "code: [one-time code]"
    assert redact("my password would be tr0ub4dor") == "my password would be [password]"
