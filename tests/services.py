"""What a test does when a service it needs (PostgreSQL, Redis, RabbitMQ) cannot be reached: skip
with the reason on a developer's machine, fail in CI (CI=true), where every service must run."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

from harness.servers import PG_SERVER, RABBITMQ_SERVER, REDIS_SERVER


def service_unreachable(reason: str) -> NoReturn:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: every service must be reachable)", pytrace=False)
    pytest.skip(reason)


def postgresql_unreachable() -> str | None:
    """Why PG_SERVER cannot be used, or None."""
    try:
        import psycopg

        with psycopg.connect(PG_SERVER, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # any reason: skip with it
        return f"PostgreSQL at {PG_SERVER} is unreachable: {str(exc).strip()[:200]}"
    return None


def require_postgresql() -> str:
    """PG_SERVER, or the test skips (fails in CI) with the reason."""
    reason = postgresql_unreachable()
    if reason:
        service_unreachable(reason)
    return PG_SERVER


def require_redis() -> str:
    """REDIS_SERVER, or the test skips (fails in CI) with the reason."""
    import redis

    try:
        redis.Redis.from_url(REDIS_SERVER, socket_connect_timeout=3).ping()
    except Exception as exc:  # any reason: skip with it
        service_unreachable(f"Redis at {REDIS_SERVER} is unreachable: {exc}")
    return REDIS_SERVER


def require_rabbitmq() -> str:
    """RABBITMQ_SERVER, or the test skips (fails in CI) with the reason."""
    import pika

    parameters = pika.URLParameters(RABBITMQ_SERVER)
    parameters.connection_attempts, parameters.socket_timeout = 1, 3
    try:
        pika.BlockingConnection(parameters).close()
    except Exception as exc:  # any reason: skip with it
        service_unreachable(f"RabbitMQ at {RABBITMQ_SERVER} is unreachable: {exc!r}")
    return RABBITMQ_SERVER
