"""Throttle for staff credentials (the login form and HTTP Basic): failed attempts are counted per
account and per client address in the shared limiter (common/rate_limits.py), so every API
process sees the same counts. Once a count is used up the request is refused with 429 before any
password is checked: a guessing script gets no answer and costs no argon2 work.

Back-off: a short window (a minute) and a long one (an hour). Ten wrong passwords in a minute
wait out the minute; whoever keeps going after that meets the hourly allowance and waits longer.
Each check counts the current window and the one before, so ten guesses that straddle the turn of
a minute are still ten.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fastapi import HTTPException, Request, status

from common.rate_limits import LimiterUnavailableError, RateLimiter
from handoff_api.settings import Settings

MINUTE, HOUR = 60, 3600


class TooManyAttempts(HTTPException):
    def __init__(self, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"too many failed sign-ins; try again in {seconds} seconds",
            headers={"Retry-After": str(seconds)},
        )
        self.retry_after = seconds


@dataclass(frozen=True)
class _Rule:
    key: str
    limit: int
    window: int


class LoginThrottle:
    def __init__(self, settings: Settings, limiter: RateLimiter) -> None:
        self._settings = settings
        self._limiter = limiter

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginThrottle:
        return cls(settings, RateLimiter.from_url(settings.rate_limit_url or settings.database_url))

    def _rules(self, email: str, client: str) -> list[_Rule]:
        s = self._settings
        account = f"staff-login:account:{email.strip().lower()}"
        address = f"staff-login:client:{client}"
        return [
            _Rule(account, s.staff_login_failures_per_account_minute, MINUTE),
            _Rule(account, s.staff_login_failures_per_account_hour, HOUR),
            _Rule(address, s.staff_login_failures_per_client_minute, MINUTE),
            _Rule(address, s.staff_login_failures_per_client_hour, HOUR),
        ]

    def check(self, email: str, client: str) -> None:
        """Raise TooManyAttempts when this account or client has used up its failures. An
        unreachable limiter refuses too: sign-in fails closed rather than unthrottled."""
        try:
            for rule in self._rules(email, client):
                if self._limiter.recent(rule.key, rule.window) >= rule.limit:
                    raise TooManyAttempts(self._limiter.retry_after(rule.window))
        except LimiterUnavailableError as exc:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(exc)) from exc

    def failed(self, email: str, client: str) -> None:
        try:
            for rule in self._rules(email, client):
                self._limiter.hit(rule.key, rule.limit, rule.window)
        except LimiterUnavailableError:
            pass  # check() refuses the next attempt anyway


def client_address(request: Request) -> str:
    """The peer address as uvicorn reports it (behind a proxy, run uvicorn with --proxy-headers
    and --forwarded-allow-ips so this is the customer's address, not the proxy's)."""
    return request.client.host if request.client else "unknown"
