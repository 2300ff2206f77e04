"""The Redis lock store lets one turn of a conversation run at a time across processes, in the
order the turns arrived, frees a dead holder's lock after its lifetime, and fails clearly without
Redis. Each case runs in Rasa's environment against the real Redis."""

from __future__ import annotations

import subprocess
import time
import uuid

from harness.stack import RASA_PY, ROOT, base_env, free_port
from tests.services import require_redis


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(RASA_PY), "-m", "tests.bot.lock_store.lock_check", *args],
        cwd=ROOT,
        env=base_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen, timeout: float = 120) -> str:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]
    return out


def test_turns_of_one_conversation_never_overlap_across_processes() -> None:
    url, conversation_id = require_redis(), f"race-{uuid.uuid4().hex}"
    processes = [start(url, "contend", conversation_id, "40") for _ in range(4)]
    for process in processes:
        assert "contended 40" in finish(process)
    import redis

    assert int(redis.Redis.from_url(url).get(f"test:{conversation_id}:counter")) == 160  # no update lost


def test_turns_enter_in_the_order_they_arrived() -> None:
    assert "in order" in finish(start(require_redis(), "in_order"))


def test_a_live_holder_keeps_the_lock_past_its_ticket_ttl_and_a_killed_one_frees_it_within_it() -> None:
    url, conversation_id = require_redis(), f"dead-{uuid.uuid4().hex}"
    holder = start(url, "hold_forever", conversation_id, "1")
    assert holder.stdout.readline().strip() == "holding"
    # The holder renews its 1 s ticket: the waiter is still waiting 2 s on (4 s minus its start-up).
    waiter = start(url, "after_holder", conversation_id, "1", "2")
    time.sleep(4)
    holder.kill()  # like kill -9 of a Rasa replica in the middle of a turn
    holder.wait()
    assert "acquired after" in finish(waiter)


def test_without_redis_a_turn_fails_with_an_error_naming_the_store() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    started = time.monotonic()
    out = finish(start(url, "unreachable"))
    assert f"Redis lock store at {url} is unreachable" in out
    assert time.monotonic() - started < 30
