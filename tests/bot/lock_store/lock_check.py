"""Run by tests/bot/lock_store/test_lock_store.py in Rasa's environment, against a real Redis.

python -m tests.bot.lock_store.lock_check REDIS_URL CASE
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid

import redis.asyncio as redis
from rasa.core.lock_store import LockError
from rasa.utils.endpoints import EndpointConfig

from bot.lock_store import AtomicRedisLockStore


def store(url: str, ticket_ttl: float = 10) -> AtomicRedisLockStore:
    return AtomicRedisLockStore(EndpointConfig(url=url, retries=1, socket_timeout=1, ticket_ttl=ticket_ttl))


async def contend(url: str, conversation_id: str, workers: int) -> None:
    """Many turns of one conversation at once: inside the lock, a read-change-write of a counter
    that would lose updates if two turns overlapped, and a marker that must be free on entry."""
    locks, r = store(url), redis.Redis.from_url(url)
    counter, inside = f"test:{conversation_id}:counter", f"test:{conversation_id}:inside"

    async def one_turn() -> None:
        async with locks.lock(conversation_id, lock_lifetime=30):
            assert await r.set(inside, os.getpid(), nx=True), "two turns of one conversation at once"
            value = int(await r.get(counter) or 0)
            await asyncio.sleep(0.002)
            await r.set(counter, value + 1)
            await r.delete(inside)

    await asyncio.gather(*(one_turn() for _ in range(workers)))
    print("contended", workers)


async def in_order(url: str) -> None:
    locks, conversation_id, entered = store(url), f"order-{uuid.uuid4().hex}", []

    async def turn(n: int) -> None:
        await asyncio.sleep(n * 0.025)  # tickets issued in this order
        async with locks.lock(conversation_id):
            entered.append(n)
            await asyncio.sleep(0.02)

    await asyncio.gather(*(turn(n) for n in range(8)))
    assert entered == list(range(8)), entered
    print("in order")


async def hold_forever(url: str, conversation_id: str, ttl: float) -> None:
    async with store(url, ttl).lock(conversation_id):
        print("holding", flush=True)
        await asyncio.sleep(3600)


async def after_holder(url: str, conversation_id: str, ttl: float, at_least: float) -> None:
    """Waits for the lock another process holds: not before `at_least` seconds, and within the
    ticket ttl once that process is gone."""
    start = time.monotonic()
    async with store(url, ttl).lock(conversation_id, lock_lifetime=60):
        waited = time.monotonic() - start
    assert at_least <= waited < at_least + ttl + 2, waited
    print(f"acquired after {waited:.1f} s")


async def unreachable(url: str) -> None:
    start = time.monotonic()
    try:
        async with store(url).lock("nobody"):
            raise AssertionError("locked without Redis")
    except LockError as exc:
        print(f"LockError after {time.monotonic() - start:.1f} s: {exc}")


if __name__ == "__main__":
    url, case, *rest = sys.argv[1:]
    cases = {
        "contend": lambda: contend(url, rest[0], int(rest[1])),
        "in_order": lambda: in_order(url),
        "hold_forever": lambda: hold_forever(url, rest[0], float(rest[1])),
        "after_holder": lambda: after_holder(url, rest[0], float(rest[1]), float(rest[2])),
        "unreachable": lambda: unreachable(url),
    }
    asyncio.run(cases[case]())
