"""Mask secrets in a ticket before anything is stored.

Two layers. First the regular expressions of bot/redaction.py (the same rules the bot and the
tracker store apply: passwords after "password is", Luhn-valid card numbers, one-time codes,
licence keys). The API applies them again because it cannot trust every client to have done so.
Then a spaCy token Matcher for phrasings a single regex misses: "the password I used was X",
a code written "123-456", and a card number with a typo (fails Luhn) right after the word "card".
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from bot.redaction import CARD_MASK, CODE_MASK, CODE_SLOT, PASSWORD_MASK, SECRET_SLOTS, redact

PASSWORD_WORDS = ["password", "passwort", "passwd", "pwd", "pw", "passcode", "pin"]
# "the password I use is X": a pronoun and one of these verbs between the word and "is"/"was".
PASSWORD_VERBS = ["use", "used", "typed", "tried", "set", "chose", "entered", "picked", "have", "had", "gave"]
CODE_WORDS = ["code", "otp", "pin", "passcode"]
CARD_WORDS = ["card", "visa", "mastercard", "amex", "cc", "creditcard"]
# Texts without one of these cannot match the Matcher: skip tokenizing them.
_TRIGGER = re.compile(r"pass|pw|pin|code|otp|card|visa|amex|\bcc\b", re.IGNORECASE)
# A bot turn that asked for the code: any 6 digits in the customer's next turn are the code.
_ASKS_FOR_CODE = re.compile(r"\bcode\b", re.IGNORECASE)
_NEXT_WORD = re.compile(r"\s*([^\s,;]+)")


@lru_cache(maxsize=1)
def _matcher():  # noqa: ANN202 - spaCy types are not worth importing at module level
    import spacy
    from spacy.matcher import Matcher

    # A blank pipeline: only the tokenizer, no model to download.
    nlp = spacy.blank("en")
    matcher = Matcher(nlp.vocab)
    matcher.add(
        "PASSWORD_AFTER",
        [
            [
                {"LOWER": {"IN": PASSWORD_WORDS}},
                {"LOWER": {"IN": ["i", "we", "that", "which"]}},
                {"LOWER": {"IN": PASSWORD_VERBS}},
                {"LOWER": {"IN": ["is", "was"]}},
            ],
            [
                {"LOWER": {"IN": PASSWORD_WORDS}},
                {"LOWER": {"IN": ["would", "should", "will", "might"]}},
                {"LOWER": "be"},
            ],
            [{"LOWER": {"IN": PASSWORD_WORDS}}, {"LOWER": "'s"}],
        ],
    )
    matcher.add(
        "CODE_SPLIT",
        [
            [
                {"LOWER": {"IN": CODE_WORDS}},
                {"IS_DIGIT": False, "IS_SPACE": False, "OP": "{0,3}"},
                {"SHAPE": "ddd"},
                {"ORTH": {"IN": ["-", "."]}},
                {"SHAPE": "ddd"},
            ]
        ],
    )
    matcher.add(
        "CARD_NUMBER",
        [
            [
                {"LOWER": {"IN": CARD_WORDS}},
                {"IS_DIGIT": False, "OP": "{0,3}"},
                {"TEXT": {"REGEX": r"^[\d-]+$"}, "OP": "+"},
            ]
        ],
        greedy="LONGEST",
    )
    return nlp, matcher


def warm_up() -> None:
    """Load spaCy at start-up, not in the first ticket's request (the bot waits only seconds)."""
    _matcher()


def _matcher_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, mask) character spans the Matcher finds."""
    nlp, matcher = _matcher()
    doc = nlp(text)
    spans: list[tuple[int, int, str]] = []
    for match_id, start, end in matcher(doc):
        rule = nlp.vocab.strings[match_id]
        span = doc[start:end]
        if rule == "PASSWORD_AFTER":
            word = _NEXT_WORD.match(text, span.end_char)
            if word and not word.group(1).startswith("["):
                spans.append((word.start(1), word.end(1), PASSWORD_MASK))
        elif rule == "CODE_SPLIT":
            spans.append((doc[end - 3].idx, span.end_char, CODE_MASK))
        else:  # CARD_NUMBER: the digit tokens at the end of the match
            first = end
            while first > start and re.fullmatch(r"[\d-]+", doc[first - 1].text):
                first -= 1
            digits = re.sub(r"\D", "", doc[first:end].text)
            if 12 <= len(digits) <= 19:
                spans.append((doc[first].idx, span.end_char, CARD_MASK))
    return spans


def redact_text(text: str, expecting_code: bool = False) -> str:
    text = redact(text, expecting_code=expecting_code)
    if not _TRIGGER.search(text):
        return text
    # Right to left so earlier offsets stay valid; overlapping spans are masked once.
    out, last_start = text, len(text) + 1
    for start, end, mask in sorted(set(_matcher_spans(text)), key=lambda s: (s[0], -s[1]), reverse=True):
        if end > last_start:
            continue
        out = out[:start] + mask + out[end:]
        last_start = start
    return out


def redact_json(value: Any) -> Any:
    """Every string inside slots, entities and steps, masked."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list):
        return [redact_json(v) for v in value]
    if isinstance(value, dict):
        return {k: redact_json(v) for k, v in value.items()}
    return value


def redact_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for entity in entities:
        entity = redact_json(entity)
        if entity.get("entity") == CODE_SLOT:
            entity["value"] = CODE_MASK
        out.append(entity)
    return out


def redact_slots(slots: dict[str, Any]) -> dict[str, Any]:
    return {k: (CODE_MASK if k in SECRET_SLOTS else redact_json(v)) for k, v in slots.items()}


def code_expected_after(bot_text: str | None) -> bool:
    return bool(bot_text and _ASKS_FOR_CODE.search(bot_text))
