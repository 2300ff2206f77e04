"""The scaled setup as `make run-scaled` starts it (python -m scaleout run), for tests and the load
benchmark: Rasa and action replicas behind HAProxy, on the machine's PostgreSQL, Redis and
RabbitMQ. Redis and RabbitMQ are reached through proxies a test can cut; the databases, the
exchange and the queue are this run's own and are removed afterwards."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from harness.servers import PG_SERVER, RABBITMQ_SERVER, REDIS_SERVER
from harness.stack import (
    APP_PY,
    ROOT,
    built_test_index,
    conversation_tracker,
    free_port,
    stack_env,
    stop_process,
    trained_test_model,
)
from harness.tcp_proxy import TcpProxy

HAPROXY = os.environ.get("HAPROXY_BIN", "/usr/sbin/haproxy")
# Lifted as in bench/latency.py: tests and benchmarks send many messages from one address.
UNLIMITED = {"MESSAGES_PER_MINUTE": "100000", "MESSAGES_PER_MINUTE_PER_CLIENT": "1000000"}


@dataclass
class ScaledStack:
    workdir: Path
    env: dict[str, str]
    process: subprocess.Popen
    redis: TcpProxy
    rabbitmq: TcpProxy
    events_db: str
    tracker_db: str
    log: Path
    urls: dict[str, str] = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.env['RASA_PORT']}"

    @property
    def handoff_url(self) -> str:
        return f"http://127.0.0.1:{self.env['HANDOFF_PORT']}"

    @property
    def bot_token(self) -> str:
        return self.env["HANDOFF_BOT_TOKEN"]

    @property
    def outbox(self) -> Path:
        return Path(self.env["MAIL_OUTBOX_DIR"])

    def reset_limits(self) -> None:
        """Forget the rate-limit counts of earlier conversations (in Redis here)."""
        from common.rate_limits import RateLimiter

        RateLimiter.from_url(self.env["REDIS_URL"]).reset()

    def supervisorctl(self, *args: str) -> str:
        conf = self.workdir / "run/supervisord.conf"
        result = subprocess.run(
            [str(APP_PY.parent / "supervisorctl"), "-c", str(conf), *args], capture_output=True, text=True
        )
        return result.stdout.strip()

    def servers(self) -> dict[tuple[str, str], dict[str, str]]:
        """HAProxy's view of each server: status, sessions served ("stot")."""
        csv = httpx.get(f"http://127.0.0.1:{self.env['SCALED_HAPROXY_STATS_PORT']}/;csv", timeout=5).text
        head, *rows = [line.split(",") for line in csv.lstrip("# ").splitlines() if line]
        return {(r[0], r[1]): dict(zip(head, r, strict=False)) for r in rows}

    def say(self, conversation_id: str, text: str, timeout: float = 60) -> httpx.Response:
        return httpx.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": conversation_id, "message": text},
            timeout=timeout,
        )

    def tracker(self, conversation_id: str) -> dict:
        return conversation_tracker(self, conversation_id)


def _consecutive_free_ports(count: int) -> int:
    """A base port whose next `count` ports are free."""
    for _ in range(50):
        base = free_port()
        if base + count < 65535 and all(_free(base + i) for i in range(1, count + 1)):
            return base
    raise RuntimeError("no run of free ports")


def _free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(sql)


def _remove_broker_objects(exchange: str, queue: str) -> None:
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ_SERVER))
    channel = connection.channel()
    channel.queue_delete(queue)
    channel.exchange_delete(exchange)
    connection.close()


@contextmanager
def running_scaled_stack(
    rasa_replicas: int = 2, action_replicas: int = 2, extra_env: dict[str, str] | None = None
) -> Iterator[ScaledStack]:
    """Starts it with the test model and index; the services must be reachable (tests check first)."""
    model, index = trained_test_model(), built_test_index()
    run = uuid.uuid4().hex[:10]
    events_db, tracker_db = f"tier0_scaled_{run}", f"tier0_tracker_{run}"
    _pg(f"CREATE DATABASE {events_db}")
    redis_target, rabbit_target = urlsplit(REDIS_SERVER), urlsplit(RABBITMQ_SERVER)
    redis_proxy = TcpProxy(redis_target.hostname, redis_target.port or 6379)
    rabbit_proxy = TcpProxy(rabbit_target.hostname, rabbit_target.port or 5672)
    workdir = Path(tempfile.mkdtemp(prefix="tier0-scaled-"))
    ports = {name: free_port() for name in ("rasa", "actions", "handoff", "host_site")}
    pg = urlsplit(PG_SERVER)
    exchange = queue = f"tier0-test-{run}"
    env = (
        stack_env(workdir, ports, secrets.token_urlsafe(24), index)
        | UNLIMITED
        | {
            "HANDOFF_HOST": "127.0.0.1",
            "HANDOFF_PORT": str(ports["handoff"]),
            "HANDOFF_WORKERS": "2",
            "SCALED_RASA_BASE_PORT": str(_consecutive_free_ports(rasa_replicas)),
            "SCALED_ACTION_BASE_PORT": str(_consecutive_free_ports(action_replicas)),
            "SCALED_HAPROXY_STATS_PORT": str(free_port()),
            "SCALED_TRACKER_DB_URL": f"postgresql://{pg.netloc}/{tracker_db}",
            "SCALED_TRACKER_LOGIN_DB": pg.path.lstrip("/") or "test",
            "SCALED_DATABASE_URL": f"postgresql+psycopg://{pg.netloc}/{events_db}",
            "SCALED_EVENTS_DB_URL": f"postgresql+psycopg://{pg.netloc}/{events_db}",
            "REDIS_URL": f"redis://127.0.0.1:{redis_proxy.port}{redis_target.path or '/15'}",
            "RABBITMQ_URL": f"amqp://guest:guest@127.0.0.1:{rabbit_proxy.port}/%2F",
            "RABBITMQ_EXCHANGE": exchange,
            "RABBITMQ_QUEUE": queue,
            "HAPROXY_BIN": HAPROXY,
            "SCALED_RUN_DIR": str(workdir / "run"),
        }
        | (extra_env or {})
    )
    log = workdir / "scaleout.log"
    command = [str(APP_PY), "-m", "scaleout", "run", "--rasa-replicas", str(rasa_replicas)]
    command += ["--action-replicas", str(action_replicas)]
    with log.open("w") as out:
        process = subprocess.Popen(
            [*command, "--model", str(model)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    stack = ScaledStack(workdir, env, process, redis_proxy, rabbit_proxy, events_db, tracker_db, log)
    try:
        deadline = time.monotonic() + 400
        while "is up after" not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the scaled setup did not start:\n{log.read_text()[-4000:]}")
            time.sleep(1)
        yield stack
    finally:
        stop_process(process, timeout=60)
        redis_proxy.close()
        rabbit_proxy.close()
        _remove_broker_objects(exchange, queue)
        for db in (events_db, tracker_db):
            _pg(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        if os.environ.get("TIER0_KEEP_STACK_LOGS"):
            print(f"scaled stack logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
