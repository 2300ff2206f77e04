"""Secrets a customer types are masked before they are stored (tracker store, tickets)."""

from __future__ import annotations

import pytest

from common.redaction import redact


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


def test_the_token_layer_catches_what_the_patterns_miss_in_every_store() -> None:
    # One redaction for the tracker store, the transcript, the tickets and the logs.
    assert redact("the password I used was Tr0ub4dor&3") == "the password I used was [password]"
    assert redact("code: 123-456") == "code: [one-time code]"
    assert redact("my card 4111 1111 1111 1112 failed") == "my card [card number] failed"


def test_secret_slots_show_their_mask() -> None:
    from common.redaction import redact_slots

    slots = redact_slots({"otp_code": "123456", "license_key": "sealed:gAAAA", "device": "laptop", "email": None})
    assert slots == {"otp_code": "[one-time code]", "license_key": "[license key]", "device": "laptop", "email": None}


def test_log_lines_are_masked_whoever_formats_them(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from common.redaction import redact_logs

    factory = logging.getLogRecordFactory()
    try:
        redact_logs()
        redact_logs()  # idempotent: one layer, not two
        with caplog.at_level(logging.INFO):
            logging.getLogger("tier0.test").info("customer said: my password is %s", "hunter2hunter2")
        assert "hunter2hunter2" not in caplog.text and "[password]" in caplog.text
    finally:
        logging.setLogRecordFactory(factory)


def test_secrets_anywhere_in_a_long_text_are_masked() -> None:
    # The token layer reads a window after each trigger word, wherever it is in the text.
    filler = "my wifi drops " * 400
    text = (
        f"{filler}the password I used was Tr0ub4dor&3 {filler}code: 123-456 {filler}my card 4111 1111 1111 1112 failed"
    )
    masked = redact(text)
    assert "Tr0ub4dor" not in masked and "123-456" not in masked and "1112" not in masked
    assert masked.count("[password]") == masked.count("[one-time code]") == masked.count("[card number]") == 1
    # Triggers packed closer than a window still each get theirs.
    assert redact("code 111-222 code 333-444 " * 30) == "code [one-time code] code [one-time code] " * 30


def test_a_long_log_message_is_cut_before_it_is_masked() -> None:
    import logging

    from common.redaction import MAX_LOG_MESSAGE_CHARS, redact_logs

    redact_logs()
    record = logging.getLogger("t").makeRecord("t", logging.ERROR, __file__, 1, "%s", ("[" * 50_000 + " pw: x",), None)
    message = record.getMessage()
    assert len(message) < MAX_LOG_MESSAGE_CHARS + 100
    assert message.endswith("[46,006 more characters not logged]")
