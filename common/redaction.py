"""Mask secrets a customer types before anything is stored or logged: passwords, card numbers,
one-time codes, licence keys. One module for every store: Rasa's tracker store
(bot/tracker_store.py), the ticket transcript the bot sends and its outbox (bot/actions/transcript.py),
the handoff API's tickets and notes (which masks again: it cannot trust every client), and the
services' logs (`redact_logs`). Both Python environments import it (spaCy 3.4 in Rasa's, 3.8 in
the app's).

Two layers. Regular expressions first: passwords after "password is", Luhn-valid card numbers,
one-time codes, licence keys. Then a spaCy token Matcher for phrasings a single regex misses: "the
password I used was X", a code written "123-456", and a card number with a typo (fails Luhn) right
after the word "card". spaCy runs only on texts with one of its trigger words, and only on a short
window after each of them: its patterns start at the trigger word and span a few tokens, and spaCy's
cost on one long token grows with the square of its length (a 10 KB run of brackets took seconds).
Windows keep the cost of any text linear in its length; `redact_logs` also cuts a log message to
MAX_LOG_MESSAGE_CHARS first, so no log line costs more than a few milliseconds.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any

CODE_MASK = "[one-time code]"
# The slot the verification form asks the code for: any 6 digits typed in answer to it are the code,
# and its raw value is never stored or copied into a ticket.
CODE_SLOT = "otp_code"
PASSWORD_MASK = "[password]"
CARD_MASK = "[card number]"
KEY_MASK = "[license key]"
# Slots whose raw value is never stored, copied into a ticket or exported, with the mask shown instead.
# (The action server keeps a licence key it needs again sealed: bot/actions/sealed_slots.py.)
SECRET_SLOTS = {CODE_SLOT: CODE_MASK, "license_key": KEY_MASK}
SEALED_PREFIX = "sealed:"

# "my password is hunter2", "pw: hunter2", "passwort = x": keep the words, mask what follows.
PASSWORD = re.compile(
    r"(?P<lead>\b(?:password|passwort|passwd|pass ?word|pwd|pw|passcode|pin)\b\s*(?:(?:is|was|ist|war)\b|=|:)\s*)"
    r"(?P<secret>[^\s,;]+)",
    re.IGNORECASE,
)
CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
LICENSE_KEY = re.compile(r"\b[A-Za-z0-9]{5}(?:-[A-Za-z0-9]{5}){3}\b")
# A 6-digit code right after the word "code" or "otp" (anywhere), or any 6 digits in a reply to "type the code".
CODE_IN_CONTEXT = re.compile(
    r"(?P<lead>\b(?:code|otp|passcode)\b\D{0,12})(?P<secret>\d{3}[\s-]?\d{3})(?!\d)", re.IGNORECASE
)
ANY_CODE = re.compile(r"(?<!\d)\d{3}\s?\d{3}(?!\d)")


def _luhn(number: str) -> bool:
    digits = [int(d) for d in re.sub(r"\D", "", number)][::-1]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
    return total % 10 == 0


def _redact_patterns(text: str, expecting_code: bool) -> str:
    text = CARD.sub(lambda m: CARD_MASK if _luhn(m.group(0)) else m.group(0), text)
    text = LICENSE_KEY.sub(KEY_MASK, text)
    text = PASSWORD.sub(lambda m: m.group("lead") + PASSWORD_MASK, text)
    text = CODE_IN_CONTEXT.sub(lambda m: m.group("lead") + CODE_MASK, text)
    if expecting_code:
        text = ANY_CODE.sub(CODE_MASK, text)
    return text


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
# Characters after a trigger word within which the Matcher's patterns end; a window tokenized for it
# is twice as long, so one window covers every trigger in its first half.
MATCH_REACH_CHARS = 100
# How far a window reaches back to the start of the word holding a trigger ("mypassword"), and on to
# the end of the word it would cut.
_WORD_EDGE_CHARS = 30
# A log message longer than this is cut before it is masked and written (what was cut is counted).
MAX_LOG_MESSAGE_CHARS = 4000


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


def _windows(text: str) -> list[tuple[int, int]]:
    """(start, end) pieces of `text` that hold every trigger word and MATCH_REACH_CHARS after it."""
    windows: list[tuple[int, int]] = []
    covered_until = -1
    for found in _TRIGGER.finditer(text):
        if found.start() <= covered_until:
            continue
        start = found.start()
        while start > 0 and not text[start - 1].isspace() and found.start() - start < _WORD_EDGE_CHARS:
            start -= 1
        end = min(len(text), start + 2 * MATCH_REACH_CHARS)
        limit = min(len(text), end + _WORD_EDGE_CHARS)
        while end < limit and not text[end].isspace():
            end += 1
        windows.append((start, end))
        covered_until = start + MATCH_REACH_CHARS
    return windows


def _matcher_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, mask) character spans the Matcher finds."""
    nlp, matcher = _matcher()
    spans: list[tuple[int, int, str]] = []
    for offset, stop in _windows(text):
        doc = nlp(text[offset:stop])
        for match_id, start, end in matcher(doc):
            rule = nlp.vocab.strings[match_id]
            span = doc[start:end]
            if rule == "PASSWORD_AFTER":
                word = _NEXT_WORD.match(text, offset + span.end_char)
                if word and not word.group(1).startswith("["):
                    spans.append((word.start(1), word.end(1), PASSWORD_MASK))
            elif rule == "CODE_SPLIT":
                spans.append((offset + doc[end - 3].idx, offset + span.end_char, CODE_MASK))
            else:  # CARD_NUMBER: the digit tokens at the end of the match
                first = end
                while first > start and re.fullmatch(r"[\d-]+", doc[first - 1].text):
                    first -= 1
                digits = re.sub(r"\D", "", doc[first:end].text)
                if 12 <= len(digits) <= 19:
                    spans.append((offset + doc[first].idx, offset + span.end_char, CARD_MASK))
    return spans


def redact(text: str, expecting_code: bool = False) -> str:
    """`text` with every secret masked. `expecting_code`: the message answers "type the 6-digit
    code", so any 6 digits are the code."""
    text = _redact_patterns(text, expecting_code)
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
        return redact(value)
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
    return {k: (SECRET_SLOTS[k] if k in SECRET_SLOTS and v else redact_json(v)) for k, v in slots.items()}


def redact_logs() -> None:
    """Mask secrets in every log record this process makes, whoever configures the handlers
    (uvicorn, Rasa, Sanic): the record factory masks the message as the record is made."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "redacting", False):
        return

    def redacting_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: logging reports it itself
            return record
        masked = redact(shortened_for_log(message))
        if masked != message:
            record.msg, record.args = masked, ()
        return record

    redacting_record.redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(redacting_record)


def shortened_for_log(message: str) -> str:
    """A log message cut to MAX_LOG_MESSAGE_CHARS, saying how much was left out."""
    if len(message) <= MAX_LOG_MESSAGE_CHARS:
        return message
    return f"{message[:MAX_LOG_MESSAGE_CHARS]}... [{len(message) - MAX_LOG_MESSAGE_CHARS:,} more characters not logged]"


def code_expected_after(bot_text: str | None) -> bool:
    return bool(bot_text and _ASKS_FOR_CODE.search(bot_text))
