"""Rate limits every process sees the same way: fixed-window counters in Redis when
RATE_LIMIT_URL is a redis:// URL (the scaled setup), else in a SQL table (SQLite by default,
PostgreSQL through a URL). Never in process memory, which a second process would not see.

    limiter = RateLimiter.from_url("sqlite:///var/rate_limits.db")
    hit = limiter.hit("otp-send:email:alex@example.com", limit=3, window_seconds=3600)
    if not hit.allowed: ...  # hit.retry_after seconds until the window ends

Works with redis-py 4 (Rasa's environment) and 5+ and with SQLAlchemy 1.4 and 2.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from common.private_files import private_sqlite

DEFAULT_URL = "sqlite:///var/rate_limits.db"


class LimiterUnavailableError(RuntimeError):
    """The limiter's store cannot be reached; the message names it."""


@dataclass(frozen=True)
class Hit:
    allowed: bool
    count: int  # hits in this window, this one included
    limit: int
    retry_after: float  # seconds until the window ends


class RateLimiter:
    def __init__(self, store: _Store, clock=time.time) -> None:  # noqa: ANN001 - a () -> float
        self._store = store
        self._clock = clock

    @classmethod
    def from_url(cls, url: str, clock=time.time) -> RateLimiter:  # noqa: ANN001
        store: _Store = _RedisStore(url) if url.startswith(("redis://", "rediss://", "unix://")) else _SqlStore(url)
        return cls(store, clock)

    def hit(self, key: str, limit: int, window_seconds: int) -> Hit:
        """Count one event for `key`; allowed while this window holds at most `limit` of them."""
        # Kept two windows long, so that `recent` can still read the previous one.
        count = self._store.incr(self._window_key(key, window_seconds), 2 * window_seconds)
        return Hit(count <= limit, count, limit, self.retry_after(window_seconds))

    def peek(self, key: str, window_seconds: int) -> int:
        """Events counted for `key` in the current window (nothing is counted)."""
        return self._store.get(self._window_key(key, window_seconds))

    def recent(self, key: str, window_seconds: int) -> int:
        """Events counted for `key` in this window and the one before: at least every event of the
        last `window_seconds`, so a burst that straddles a window boundary is counted whole."""
        return self.peek(key, window_seconds) + self._store.get(self._window_key(key, window_seconds, back=1))

    def retry_after(self, window_seconds: int) -> float:
        """Seconds until the current window of this length ends."""
        now = self._clock()
        return max(0.0, (int(now // window_seconds) + 1) * window_seconds - now)

    def clear(self, key: str, window_seconds: int) -> None:
        self._store.delete(self._window_key(key, window_seconds))

    def _window_key(self, key: str, window_seconds: int, back: int = 0) -> str:
        return f"{key}:{window_seconds}:{int(self._clock() // window_seconds) - back}"

    def reset(self) -> None:
        """Forget every count (a fresh start for test runs and the scripted-customer harness)."""
        self._store.delete_all()


class _Store:
    def incr(self, key: str, ttl: int) -> int: ...
    def get(self, key: str) -> int: ...
    def delete(self, key: str) -> None: ...
    def delete_all(self) -> None: ...


class _RedisStore(_Store):
    PREFIX = "tier0:rate-limit:"  # the Redis may be shared with Rasa's lock store

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._errors = (redis.RedisError, OSError)
        self._url = url

    def incr(self, key: str, ttl: int) -> int:
        try:
            pipe = self._redis.pipeline(transaction=True)  # INCR and EXPIRE in one MULTI/EXEC
            pipe.incr(self.PREFIX + key)
            pipe.expire(self.PREFIX + key, ttl + 1)
            count, _ = pipe.execute()
        except self._errors as exc:
            raise LimiterUnavailableError(f"rate limits: Redis at {self._url} is unavailable: {exc}") from exc
        return int(count)

    def get(self, key: str) -> int:
        try:
            return int(self._redis.get(self.PREFIX + key) or 0)
        except self._errors as exc:
            raise LimiterUnavailableError(f"rate limits: Redis at {self._url} is unavailable: {exc}") from exc

    def delete(self, key: str) -> None:
        try:
            self._redis.delete(self.PREFIX + key)
        except self._errors as exc:
            raise LimiterUnavailableError(f"rate limits: Redis at {self._url} is unavailable: {exc}") from exc

    def delete_all(self) -> None:
        try:
            for key in self._redis.scan_iter(match=self.PREFIX + "*", count=500):
                self._redis.delete(key)
        except self._errors as exc:
            raise LimiterUnavailableError(f"rate limits: Redis at {self._url} is unavailable: {exc}") from exc


class _SqlStore(_Store):
    TABLE = "rate_limit_counts"

    def __init__(self, url: str) -> None:
        import sqlalchemy as sa

        self._sa = sa
        self._url = url
        private_sqlite(url)  # counts are keyed by email and address
        sqlite = url.startswith("sqlite")
        self._engine = sa.create_engine(
            url, future=True, pool_pre_ping=True, connect_args={"timeout": 10} if sqlite else {}
        )
        if sqlite:  # several processes write the same file: WAL lets readers and one writer overlap

            @sa.event.listens_for(self._engine, "connect")
            def _wal(dbapi_connection, _record) -> None:  # noqa: ANN001
                dbapi_connection.execute("PRAGMA journal_mode=WAL")
                dbapi_connection.execute("PRAGMA synchronous=NORMAL")  # counters need no fsync per hit

        self._ready = False
        self._lock = threading.Lock()

    def _ensure(self) -> None:
        if self._ready:
            return
        with self._lock, self._engine.begin() as conn:
            conn.execute(
                self._sa.text(
                    f"CREATE TABLE IF NOT EXISTS {self.TABLE} "
                    "(key VARCHAR(300) PRIMARY KEY, count INTEGER NOT NULL, expires_at DOUBLE PRECISION NOT NULL)"
                )
            )
            self._ready = True

    def _run(self, sql: str, **params: Any):  # noqa: ANN202
        try:
            self._ensure()
            with self._engine.begin() as conn:
                result = conn.execute(self._sa.text(sql), params)
                return result.fetchall() if result.returns_rows else []
        except self._sa.exc.SQLAlchemyError as exc:
            raise LimiterUnavailableError(f"rate limits: database {self._url} is unavailable: {exc}") from exc

    def incr(self, key: str, ttl: int) -> int:
        now = time.time()
        rows = self._run(
            # One statement: atomic in SQLite and PostgreSQL, whichever process asks.
            f"INSERT INTO {self.TABLE} (key, count, expires_at) VALUES (:key, 1, :expires) "
            f"ON CONFLICT (key) DO UPDATE SET count = {self.TABLE}.count + 1 RETURNING count",
            key=key,
            expires=now + ttl,
        )
        if math.floor(now) % 97 == 0:  # now and then, drop windows that are over
            self._run(f"DELETE FROM {self.TABLE} WHERE expires_at < :now", now=now)
        return int(rows[0][0])

    def get(self, key: str) -> int:
        rows = self._run(f"SELECT count FROM {self.TABLE} WHERE key = :key", key=key)
        return int(rows[0][0]) if rows else 0

    def delete(self, key: str) -> None:
        self._run(f"DELETE FROM {self.TABLE} WHERE key = :key", key=key)

    def delete_all(self) -> None:
        self._run(f"DELETE FROM {self.TABLE}")
