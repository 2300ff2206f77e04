"""The scaled setup under the failures it exists for: one customer's messages arriving at once on
two replicas, a replica killed under load, Redis and RabbitMQ going away, tickets created through
every handoff worker at once."""

from __future__ import annotations

import concurrent.futures
import threading
import time
import uuid

import httpx
import psycopg

from harness.scaled_stack import ScaledStack
from tests.handoff_api.conftest import ticket_body
from tests.services import PG_SERVER


def answered(reply: httpx.Response) -> bool:
    """A real answer: not an error, and not the "can't answer right now" of a turn that could not run."""
    return reply.status_code == 200 and "can't answer right now" not in reply.text


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
        up = scaled.servers()[("rasa_http", "rasa-1")]["status"] == "UP"
        if "RUNNING" in status and pid_now != pid_before and up:
            break
        time.sleep(2)
    else:
        raise AssertionError(f"rasa-1 did not rejoin: {status}, {scaled.servers()[('rasa_http', 'rasa-1')]}")


def subprocess_kill(pid: int) -> None:
    import os
    import signal

    os.kill(pid, signal.SIGKILL)


def events_copied(scaled: ScaledStack, conversation_id: str) -> int:
    """Events of the conversation in the event consumer's table."""
    url = PG_SERVER.rsplit("/", 1)[0] + "/" + scaled.events_db
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM events WHERE sender_id = %s", (conversation_id,)).fetchone()[0]


def wait_for(condition, timeout: float, what: str, state=lambda: "") -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what} {state()}")
        time.sleep(0.5)


def test_without_redis_a_turn_fails_clearly_and_the_conversation_goes_on_intact_when_it_is_back(
    scaled: ScaledStack,
) -> None:
    c = f"redis-{uuid.uuid4().hex[:8]}"
    assert scaled.say(c, "my printer shows offline").status_code == 200
    scaled.redis.cut()
    try:
        started = time.monotonic()
        failed = scaled.say(c, "windows", timeout=60)
        # The customer is told, and the turn did not run without its lock.
        assert "can't answer right now" in " ".join(m.get("text", "") for m in failed.json()), failed.text
        assert time.monotonic() - started < 20
    finally:
        scaled.redis.restore()
    # The first turn after the outage is answered: no stale connection left to fail it.
    assert answered(scaled.say(c, "windows"))
    tracker = scaled.tracker(c)
    assert tracker["slots"]["os"] == "Windows"
    assert turns_are_whole(tracker)
    assert user_texts(tracker) == ["my printer shows offline", "windows"]


def test_without_rabbitmq_turns_are_answered_and_their_events_arrive_when_it_is_back(scaled: ScaledStack) -> None:
    c = f"broker-{uuid.uuid4().hex[:8]}"
    assert answered(scaled.say(c, "hello"))
    def counts() -> str:
        return f"(copied {events_copied(scaled, c)} of {len(scaled.tracker(c)['events'])})"

    wait_for(lambda: events_copied(scaled, c) >= len(scaled.tracker(c)["events"]), 60, "events copied", counts)
    scaled.rabbitmq.cut()
    try:
        for text in ("my printer shows offline", "windows", "wi-fi"):
            assert answered(scaled.say(c, text))  # the bot does not need the broker to answer
        assert events_copied(scaled, c) < len(scaled.tracker(c)["events"])  # held back meanwhile
    finally:
        scaled.rabbitmq.restore()
    # Rasa's pika broker keeps what it could not publish and sends it on reconnecting.
    everything = len(scaled.tracker(c)["events"])
    wait_for(lambda: events_copied(scaled, c) >= everything, 90, "the held-back events copied", counts)


def test_tickets_made_at_once_through_every_handoff_worker_are_neither_lost_nor_doubled(scaled: ScaledStack) -> None:
    run = uuid.uuid4().hex[:6]
    bot = {"Authorization": f"Bearer {scaled.env['HANDOFF_BOT_TOKEN']}"}

    def create(n: int) -> httpx.Response:
        # 30 escalations, and the same escalation retried 10 times (one Idempotency-Key)
        key = f"{run}-{n}" if n < 30 else f"{run}-retried"
        body = ticket_body(conversation_id=f"workers-{run}-{min(n, 30)}")
        return httpx.post(
            f"{scaled.handoff_url}/api/tickets", json=body, headers=bot | {"Idempotency-Key": key}, timeout=60
        )

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        replies = list(pool.map(create, range(40)))
    assert {r.status_code for r in replies} == {201}, {r.status_code: r.text[:200] for r in replies}
    ids = [r.json()["id"] for r in replies]
    assert len(set(ids[:30])) == 30 and len(set(ids[30:])) == 1 and ids[30] not in ids[:30]
    url = PG_SERVER.rsplit("/", 1)[0] + "/" + scaled.events_db
    with psycopg.connect(url) as conn:
        stored = conn.execute(
            "SELECT count(*) FROM tickets WHERE conversation_id LIKE %s", (f"workers-{run}-%",)
        ).fetchone()[0]
    assert stored == 31


def test_a_push_reaches_the_widget_whichever_replica_sends_it(scaled: ScaledStack) -> None:
    """The customer's socket is on replica 1; an agent's message goes in through replica 2's HTTP
    API, and its typing signal too: both reach the widget (socket.io over Redis pub/sub)."""
    from tests.e2e.test_takeover import WidgetCustomer

    base = int(scaled.env["SCALED_RASA_BASE_PORT"])
    # Straight to replica 1, from the help site's page (an origin the replicas accept).
    customer = WidgetCustomer(f"http://127.0.0.1:{base + 1}", origin=scaled.env["RASA_CORS_ORIGINS"].split()[0])
    other = f"http://127.0.0.1:{base + 2}"
    token = {"token": scaled.env["RASA_API_TOKEN"]}
    agent = {"agent": {"name": "Ana Lopez", "initial": "A"}}
    try:
        typing = {"conversation_id": customer.session_id} | agent
        r = httpx.post(f"{other}/webhooks/socketio/agent_typing", params=token, json=typing)
        assert r.status_code == 200, r.text
        assert customer.typing.get(timeout=15)["agent"]["name"] == "Ana Lopez"
        event = {"event": "bot", "text": "Hello from the other replica", "timestamp": time.time(), "metadata": agent}
        r = httpx.post(
            f"{other}/conversations/{customer.session_id}/tracker/events",
            params=token | {"execute_side_effects": "true", "output_channel": "socketio"},
            json=[event],
            timeout=30,
        )
        assert r.status_code == 200, r.text
        got = customer.until(lambda m: m.get("text") == "Hello from the other replica", timeout=15)
        assert got[-1]["metadata"]["agent"]["name"] == "Ana Lopez"
    finally:
        customer.close()
