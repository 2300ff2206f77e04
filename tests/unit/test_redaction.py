"""Secrets a customer types are masked before they are stored (tracker store, tickets)."""

from __future__ import annotations

import pytest

from bot.redaction import redact


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("my password is Hunter2! can you check", "my password is [password] can you check"),
        ("pw: s3cret", "pw: [password]"),
        ("card 4111 1111 1111 1111 was charged", "card [card number] was charged"),
        ("the code is 482 913", "the code is [one-time code]"),
        ("key NMB2K-7QX4P-R8T3W-5HJ6Z won't work", "key [license key] won't work"),
    ],
)
def test_secrets_are_masked(typed: str, stored: str) -> None:
    assert redact(typed) == stored


def test_ordinary_words_and_numbers_stay() -> None:
    for text in ("how do I pin a file", "order 1234 arrived", "error 0x80070005", "ticket NIM-123456"):
        assert redact(text) == text
    assert redact("1234 5678 9012 3456") == "1234 5678 9012 3456"  # not a card number (Luhn)


def test_any_six_digits_are_a_code_when_the_bot_asked_for_one() -> None:
    assert redact("483920") == "483920"
    assert redact("483920", expecting_code=True) == "[one-time code]"
