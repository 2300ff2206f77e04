"""A conversation lock on Redis that is safe when several Rasa processes serve one customer.

Rasa Open Source's `RedisLockStore` reads a conversation's ticket lock, changes it in Python and
writes it back, with no atomic step between: two processes that take a ticket at the same moment
can both get the same number and answer two messages of one customer at once (RasaHQ/rasa#9213; the
fix was reverted in #11428). Here every change is one Lua script, which Redis runs atomically:

- a ticket is `INCR` on the conversation's counter, queued in a sorted set with its expiry time
  (Redis's own clock, so the processes' clocks do not matter);
- the lowest live ticket holds the lock. Every ticket lives `ticket_ttl` seconds (10 by default)
  unless renewed: a waiting ticket renews itself each time it looks, a holder every third of that
  from a background task. A process killed in the middle of a turn thus frees its customer's
  conversation within `ticket_ttl`, not after Rasa's whole lock lifetime (60 s), which here is how
  long a message may wait for its turn;
- messages of one customer are answered one at a time, in the order their tickets were issued.

When Redis cannot be reached (after the client's retries), `lock` raises Rasa's `LockError` naming
the store: the turn fails clearly instead of running unlocked. Configured in endpoints.scaled.yml.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

log = logging.getLogger(__name__)

# KEYS: queue (sorted set of tickets), counter, expiries (hash ticket -> ms). ARGV: ttl ms.
_NOW = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) "
_KEEP = "for _, k in ipairs(KEYS) do redis.call('PEXPIRE', k, ARGV[1] * 2) end "
ISSUE = (
    _NOW
    + "local ticket = redis.call('INCR', KEYS[2]) "
    + "redis.call('ZADD', KEYS[1], ticket, ticket) "
    + "redis.call('HSET', KEYS[3], ticket, now + ARGV[1]) "
    + _KEEP
    + "return ticket"
)
# ARGV: ttl ms, ticket. Returns 0 (holds the lock), the number of tickets ahead, or -1 (this
# ticket lapsed: it was not renewed within its ttl).
TRY = (
    _NOW
    + "local expiries = redis.call('HGETALL', KEYS[3]) "
    + "for i = 1, #expiries, 2 do "
    + "  if tonumber(expiries[i + 1]) <= now then "
    + "    redis.call('HDEL', KEYS[3], expiries[i]) redis.call('ZREM', KEYS[1], expiries[i]) "
    + "  end "
    + "end "
    + "if not redis.call('HGET', KEYS[3], ARGV[2]) then return -1 end "
    + "redis.call('HSET', KEYS[3], ARGV[2], now + ARGV[1]) "
    + _KEEP
    + "return redis.call('ZRANK', KEYS[1], ARGV[2])"
)
# ARGV: ttl ms, ticket. 1 if the ticket was still there (and now lives another ttl), else 0.
RENEW = (
    _NOW
    + "if not redis.call('HGET', KEYS[3], ARGV[2]) then return 0 end "
    + "redis.call('HSET', KEYS[3], ARGV[2], now + ARGV[1]) "
    + _KEEP
    + "return 1"
)
RELEASE = "redis.call('ZREM', KEYS[1], ARGV[2]) redis.call('HDEL', KEYS[3], ARGV[2]) return 1"


class AtomicRedisLockStore(LockStore):
    def __init__(self, endpoint_config: EndpointConfig) -> None:
        url = endpoint_config.url or os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        self.url = url
        kwargs = endpoint_config.kwargs or {}
        self.key_prefix = str(kwargs.get("key_prefix") or "tier0:lock:")
        self.poll_seconds = float(kwargs.get("poll_seconds") or 0.01)
        self.ticket_ttl = float(kwargs.get("ticket_ttl") or 10)
        self.redis = redis.Redis.from_url(
            url,
            socket_timeout=float(kwargs.get("socket_timeout") or 5),
            socket_connect_timeout=float(kwargs.get("socket_timeout") or 5),
            # A restart of Redis: wait a little (about 1.5 s in all) before failing the turn.
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), int(kwargs.get("retries") or 5)),
            retry_on_error=[RedisConnectionError, RedisTimeoutError],
            # After Redis was away, the pooled connections are dead: one idle this long is checked
            # with a PING (and replaced) before it carries a lock operation.
            health_check_interval=float(kwargs.get("health_check_interval") or 1),
        )
        self._issue = self.redis.register_script(ISSUE)
        self._try = self.redis.register_script(TRY)
        self._renew = self.redis.register_script(RENEW)
        self._release = self.redis.register_script(RELEASE)

    def _keys(self, conversation_id: str) -> list[str]:
        base = f"{self.key_prefix}{conversation_id}"
        return [f"{base}:queue", f"{base}:counter", f"{base}:expiries"]

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncIterator[TicketLock]:
        keys, ttl_ms = self._keys(conversation_id), int(self.ticket_ttl * 1000)
        try:
            ticket = int(await self._issue(keys=keys, args=[ttl_ms]))
        except RedisError:
            # After Redis was away every pooled connection may be dead, not only the one retried:
            # drop them all and try once more on a new one before the turn fails.
            await self.redis.connection_pool.disconnect()
            try:
                ticket = int(await self._issue(keys=keys, args=[ttl_ms]))
            except RedisError as exc:
                raise LockError(f"Redis lock store at {self.url} is unreachable: {exc}") from exc
        keep_alive = None
        try:
            await self._wait_for_turn(conversation_id, keys, ttl_ms, ticket, lock_lifetime)
            keep_alive = asyncio.create_task(self._keep_alive(conversation_id, keys, ttl_ms, ticket))
            yield TicketLock(conversation_id)  # Rasa's callers only enter and leave it
        finally:
            if keep_alive is not None:
                keep_alive.cancel()
            try:
                await self._release(keys=keys, args=[ttl_ms, ticket])
            except RedisError as exc:  # the ticket lapses after its ttl
                log.warning("lock of %s not released (%s): it lapses in %s s", conversation_id, exc, self.ticket_ttl)

    async def _keep_alive(self, conversation_id: str, keys: list[str], ttl_ms: int, ticket: int) -> None:
        while True:
            await asyncio.sleep(self.ticket_ttl / 3)
            try:
                if not int(await self._renew(keys=keys, args=[ttl_ms, ticket])):
                    log.warning("lock of %s lapsed during its turn (the event loop was blocked)", conversation_id)
                    return
            except RedisError as exc:
                log.warning("lock of %s not renewed (%s)", conversation_id, exc)

    async def _wait_for_turn(
        self, conversation_id: str, keys: list[str], ttl_ms: int, ticket: int, lock_lifetime: float
    ) -> None:
        # Rasa asks to poll every `wait_time_in_seconds` (1 s); a queued message would wait that
        # long for nothing, so this polls every `poll_seconds` and gives up after `lock_lifetime`.
        deadline = time.monotonic() + lock_lifetime
        while True:
            try:
                ahead = int(await self._try(keys=keys, args=[ttl_ms, ticket]))
            except RedisError as exc:
                raise LockError(f"Redis lock store at {self.url} is unreachable: {exc}") from exc
            if ahead == 0:
                return
            if ahead < 0 or time.monotonic() > deadline:
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}' in {lock_lifetime} s.")
            await asyncio.sleep(self.poll_seconds)

    # Rasa's base class reads and writes whole TicketLock objects; nothing here uses them.
    def get_lock(self, conversation_id: str) -> TicketLock | None:
        return None

    def delete_lock(self, conversation_id: str) -> None:
        return None

    def save_lock(self, lock: TicketLock) -> None:
        return None
