"""The shared limiter on SQLite and on Redis: fixed windows, and `recent`, which counts a burst
that straddles a window boundary whole (the staff sign-in throttle relies on it)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from common.rate_limits import RateLimiter
from tests.services import service_unreachable

REDIS_URL = "redis://127.0.0.1:6379/15"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", "redis"])
def limiter(request, tmp_path: Path) -> tuple[RateLimiter, Clock]:
    clock = Clock(1_000_040.0)  # 20 s into a minute (a minute turns at 1_000_020)
    if request.param == "sqlite":
        return RateLimiter.from_url(f"sqlite:///{tmp_path}/limits.db", clock), clock
    limiter = RateLimiter.from_url(REDIS_URL, clock)
    try:
        limiter.peek("probe", 60)
    except Exception as exc:  # the reason, as the other service tests give it
        service_unreachable(f"Redis at {REDIS_URL} is unreachable: {exc}")
    return limiter, clock


def test_a_window_allows_its_limit_then_refuses_and_says_how_long(limiter) -> None:
    limits, _ = limiter
    key = f"k-{uuid.uuid4().hex}"
    hits = [limits.hit(key, limit=3, window_seconds=60) for _ in range(4)]
    assert [h.allowed for h in hits] == [True, True, True, False]
    assert hits[-1].count == 4 and hits[-1].retry_after == pytest.approx(40)


def test_a_burst_across_a_window_boundary_is_counted_whole(limiter) -> None:
    limits, clock = limiter
    key = f"k-{uuid.uuid4().hex}"
    clock.now = 1_000_078.0  # two seconds before the minute turns
    for _ in range(5):
        limits.hit(key, limit=10, window_seconds=60)
    clock.now = 1_000_081.0  # one second after
    for _ in range(5):
        limits.hit(key, limit=10, window_seconds=60)
    assert limits.peek(key, 60) == 5  # the fixed window alone would see half the burst
    assert limits.recent(key, 60) == 10
    clock.now = 1_000_200.0  # two windows later: nothing recent
    assert limits.recent(key, 60) == 0
