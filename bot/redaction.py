"""Mask secrets a customer types before anything is stored: passwords, card numbers, one-time codes,
license keys. Plain regular expressions so that both Python environments (Rasa's tracker store and
the action server) use the very same rules."""

from __future__ import annotations

import re

CODE_MASK = "[one-time code]"
# The slot the verification form asks the code for: any 6 digits typed in answer to it are the code,
# and its raw value is never stored or copied into a ticket.
CODE_SLOT = "otp_code"
SECRET_SLOTS = frozenset({CODE_SLOT})
PASSWORD_MASK = "[password]"
CARD_MASK = "[card number]"
KEY_MASK = "[license key]"

# "my password is hunter2", "pw: hunter2", "passwort = x": keep the words, mask what follows.
PASSWORD = re.compile(
    r"(?P<lead>\b(?:password|passwort|passwd|pass ?word|pwd|pw|passcode|pin)\b\s*(?:is|was|=|:)\s*)"
    r"(?P<secret>[^\s,;]+)",
    re.IGNORECASE,
)
CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
LICENSE_KEY = re.compile(r"\b[A-Za-z0-9]{5}(?:-[A-Za-z0-9]{5}){3}\b")
# A 6-digit code right after the word "code" (anywhere), or any 6 digits in a reply to "type the code".
CODE_IN_CONTEXT = re.compile(r"(?P<lead>\bcode\b\D{0,12})(?P<secret>\d{3}\s?\d{3})(?!\d)", re.IGNORECASE)
ANY_CODE = re.compile(r"(?<!\d)\d{3}\s?\d{3}(?!\d)")


def _luhn(number: str) -> bool:
    digits = [int(d) for d in re.sub(r"\D", "", number)][::-1]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
    return total % 10 == 0


def redact(text: str, expecting_code: bool = False) -> str:
    """`expecting_code`: the message answers "type the 6-digit code", so any 6 digits are the code."""
    text = CARD.sub(lambda m: CARD_MASK if _luhn(m.group(0)) else m.group(0), text)
    text = LICENSE_KEY.sub(KEY_MASK, text)
    text = PASSWORD.sub(lambda m: m.group("lead") + PASSWORD_MASK, text)
    text = CODE_IN_CONTEXT.sub(lambda m: m.group("lead") + CODE_MASK, text)
    if expecting_code:
        text = ANY_CODE.sub(CODE_MASK, text)
    return text
