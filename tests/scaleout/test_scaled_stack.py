"""The scaled setup under the failures it exists for: one customer's messages arriving at once on
two replicas, a replica killed under load, Redis and RabbitMQ going away, tickets created through
every handoff worker at once."""

from __future__ import annotations

import concurrent.futures
import re
import threading
import time
import uuid

import httpx
import psycopg

from tests.scaleout.conftest import ScaledStack
from tests.services import PG_SERVER


def user_texts(tracker: dict) -> list[str]:
    return [e["text"] for e in tracker["events"] if e["event"] == "user"]


def turns_are_whole(tracker: dict) -> bool:
    """Every customer message is followed by the bot's turn, ending in action_listen, before the
    next message: no two turns of the conversation ran interleaved."""
    expecting_listen = False
    for e in tracker["events"]:
        if e["event"] == "user":
            if expecting_listen:
                return False
            expecting_listen = True
        elif e["event"] == "action" and e["name"] == "action_listen":
            expecting_listen = False
    return not expecting_listen


def served(scaled: ScaledStack, backend: str = "rasa_rest") -> dict[str, int]:
    return {name: int(row["stot"] or 0) for (b, name), row in scaled.servers().items() if b == backend and "-" in name}


def burst(url_of, conversation_id: str, messages: list[str]) -> list[httpx.Response]:  # noqa: ANN001
    """Each message sent 50 ms after the one before, on its own connection (they arrive in this
    order, long before the first is answered); the replies. `url_of(n)` is the URL of message n."""
    clients = [httpx.Client(timeout=60) for _ in messages]  # made first: making one takes a while
    try:
        with concurrent.futures.ThreadPoolExecutor(len(messages)) as pool:
            futures = []
            for n, (client, text) in enumerate(zip(clients, messages, strict=True)):
                body = {"sender": conversation_id, "message": text}
                futures.append(pool.submit(client.post, url_of(n), json=body))
                time.sleep(0.05)
            return [f.result() for f in futures]
    finally:
        for client in clients:
            client.close()


def test_through_the_balancer_one_customers_burst_is_answered_once_each_in_arrival_order(scaled: ScaledStack) -> None:
    conversation_id = f"burst-{uuid.uuid4().hex[:8]}"
    assert scaled.say(conversation_id, "hello").status_code == 200
    before = served(scaled)
    messages = [f"thanks, message number {n}" for n in range(12)]
    replies = burst(lambda _n: f"{scaled.rasa_url}/webhooks/rest/webhook", conversation_id, messages)
    assert [r.status_code for r in replies] == [200] * len(messages)
    assert all(r.json() for r in replies)  # every message got a reply
    tracker = scaled.tracker(conversation_id)
    assert user_texts(tracker) == ["hello", *messages]  # each exactly once, in arrival order
    assert turns_are_whole(tracker)
    after = served(scaled)
    assert sum(after.values()) - sum(before.values()) == len(messages)
    assert sorted(after[n] - before[n] for n in after)[0] == 0  # one replica: the conversation's own


def test_sent_to_both_replicas_at_once_no_two_turns_of_a_conversation_overlap(scaled: ScaledStack) -> None:
    """Around the balancer, alternately to each replica: the Redis lock lets one turn run at a time."""
    conversation_id = f"both-{uuid.uuid4().hex[:8]}"
    assert scaled.say(conversation_id, "hello").status_code == 200
    base = int(scaled.env["SCALED_RASA_BASE_PORT"])

    messages = [f"thanks, message number {n}" for n in range(12)]
    replies = burst(lambda n: f"http://127.0.0.1:{base + 1 + n % 2}/webhooks/rest/webhook", conversation_id, messages)
    assert [r.status_code for r in replies] == [200] * len(messages)
    tracker = scaled.tracker(conversation_id)
    texts = user_texts(tracker)
    assert sorted(texts) == sorted(["hello", *messages])  # each exactly once
    assert turns_are_whole(tracker)  # one turn at a time
    # (Their order is the lock's ticket order: a replica reads the requests waiting for it in no set
    # order, which is why the balancer queues a replica's messages and hands them over one by one.)


def test_a_killed_replica_is_routed_around_conversations_keep_their_state_and_it_rejoins(
    scaled: ScaledStack,
) -> None:
    customers = [f"kill-{n}-{uuid.uuid4().hex[:6]}" for n in range(4)]
    for c in customers:
        reply = scaled.say(c, "my printer shows offline").json()
        assert "operating system" in " ".join(m.get("text", "") for m in reply)
        assert scaled.say(c, "windows").status_code == 200
    pid_before = scaled.supervisorctl("pid", "rasa-1")
    failures: list[int] = []
    answered: dict[str, list[str]] = {c: [] for c in customers}

    def chat(c: str) -> None:
        for text in ["wi-fi", "thanks", "hello", "thanks again", "hello again", "thank you"]:
            r = scaled.say(c, text)
            if r.status_code == 200:
                answered[c].append(text)
            else:
                failures.append(r.status_code)
            time.sleep(0.2)

    threads = [threading.Thread(target=chat, args=(c,)) for c in customers]
    for t in threads:
        t.start()
    time.sleep(0.5)
    subprocess_kill(int(pid_before))
    for t in threads:
        t.join()
    assert len(failures) <= len(customers), failures  # at most the turn each had in flight
    for c in customers:
        tracker = scaled.tracker(c)
        assert tracker["slots"]["os"] == "Windows", c  # the state from before the kill is there
        texts = user_texts(tracker)
        assert texts[:2] == ["my printer shows offline", "windows"] and all(t in texts for t in answered[c]), texts
        assert turns_are_whole(tracker)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        status = scaled.supervisorctl("status", "rasa-1")
        pid_now = scaled.supervisorctl("pid", "rasa-1")
        if "RUNNING" in status and pid_now != pid_before and scaled.servers()[("rasa_http", "rasa-1")]["status"] == "UP":
            break
        time.sleep(2)
    else:
        raise AssertionError(f"rasa-1 did not rejoin: {status}, {scaled.servers()[('rasa_http', 'rasa-1')]}")


def subprocess_kill(pid: int) -> None:
    import os
    import signal

    os.kill(pid, signal.SIGKILL)
