"""The bot's limits on what costs or risks something: one-time codes (per email, conversation and
client, and wrong codes per email and day) and tickets (per conversation and client). Counted in
RATE_LIMIT_URL through common/rate_limits.py, so re-sending, a new conversation or another action
server process does not start the count over."""

from __future__ import annotations

from functools import lru_cache

from rasa_sdk import Tracker

from bot.actions.settings import get_settings
from common.rate_limits import LimiterUnavailableError, RateLimiter

CLIENT = "tier0_client"  # set by the Rasa channels (bot/channels.py), never by the customer
HOUR, DAY = 3600, 86400


@lru_cache(maxsize=1)
def limiter() -> RateLimiter:
    return RateLimiter.from_url(get_settings().rate_limit_url)


def client_of(tracker: Tracker) -> str:
    """The address the customer's latest message came from (as the channel saw it)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return str((event.get("metadata") or {}).get(CLIENT) or "unknown")
    return "unknown"


def _all_allowed(checks: list[tuple[str, int, int]], when_unavailable: bool) -> bool:
    try:
        return all([limiter().hit(key, limit, window).allowed for key, limit, window in checks])
    except LimiterUnavailableError:
        return when_unavailable


# Why a one-time code was not sent: each limit, and the counter store being away.
CODE_LIMITS = ("email", "conversation", "client")
COUNTS_UNAVAILABLE = "unavailable"


def code_refusal(tracker: Tracker, email: str) -> str | None:
    """None when a code may be sent to `email`; else the first limit it is past (CODE_LIMITS), or
    COUNTS_UNAVAILABLE when nothing can be counted (account security fails closed)."""
    s = get_settings()
    checks = {
        "email": (f"otp-send:email:{email.lower()}", s.otp_codes_per_email_hour),
        "conversation": (f"otp-send:conversation:{tracker.sender_id}", s.otp_codes_per_conversation_hour),
        "client": (f"otp-send:client:{client_of(tracker)}", s.otp_codes_per_client_hour),
    }
    try:
        hits = {name: limiter().hit(key, limit, HOUR) for name, (key, limit) in checks.items()}
    except LimiterUnavailableError:
        return COUNTS_UNAVAILABLE
    return next((name for name in CODE_LIMITS if not hits[name].allowed), None)


def _wrong_codes_key(email: str) -> str:
    return f"otp-fail:email:{email.lower()}"


def wrong_code(email: str) -> bool:
    """Count a wrong code for `email`; False once the day's allowance is used up."""
    return _all_allowed(
        [(_wrong_codes_key(email), get_settings().otp_failures_per_email_day, DAY)], when_unavailable=False
    )


def wrong_codes_left(email: str) -> int:
    """Wrong codes `email` may still get today before sign-in is locked (0 when unknown)."""
    try:
        used = limiter().peek(_wrong_codes_key(email), DAY)
    except LimiterUnavailableError:
        return 0
    return max(0, get_settings().otp_failures_per_email_day - used)


def asked_again(tracker: Tracker) -> bool:
    """Whether this conversation is past its tickets for the hour (its request is with the team).
    Unknown counts say no: a customer who needs a person is never refused for want of a counter."""
    s = get_settings()
    return not _all_allowed(
        [(f"escalate:conversation:{tracker.sender_id}", s.escalations_per_conversation_hour, HOUR)],
        when_unavailable=True,
    )


def flood_count(tracker: Tracker) -> int | None:
    """Escalations from the customer's address this hour, this one included, once they pass the
    per-address limit; None within it (or when not counted). The ticket is filed either way: an
    office or a hotel shares one address, so the count only flags the ticket for the team."""
    try:
        hit = limiter().hit(f"escalate:client:{client_of(tracker)}", get_settings().escalations_per_client_hour, HOUR)
    except LimiterUnavailableError:
        return None
    return None if hit.allowed else hit.count
