"""Before anything starts: is every service of the scaled setup there? One line per missing one,
naming it, where it was looked for and the setting that moves it."""

from __future__ import annotations

import shutil

import pika
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from scaleout.settings import ScaledSettings

TIMEOUT_S = 3


def _postgresql(url: str) -> str | None:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":  # Rasa's URLs name no driver; this environment has psycopg 3
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed, connect_args={"connect_timeout": TIMEOUT_S})
    try:
        with engine.connect() as db:
            db.execute(text("SELECT 1"))
    except Exception as exc:  # the driver's own words say why
        return str(exc).strip().splitlines()[0][:200]
    finally:
        engine.dispose()
    return None


def _redis(url: str) -> str | None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_S, socket_timeout=TIMEOUT_S).ping()
    except redis.RedisError as exc:
        return str(exc)[:200]
    return None


def _rabbitmq(url: str) -> str | None:
    parameters = pika.URLParameters(url)
    parameters.socket_timeout = parameters.blocked_connection_timeout = TIMEOUT_S
    parameters.connection_attempts = 1
    try:
        pika.BlockingConnection(parameters).close()
    except pika.exceptions.AMQPError as exc:
        return (str(exc) or type(exc).__name__)[:200]
    return None


def missing_services(settings: ScaledSettings) -> list[str]:
    """A sentence per service that cannot be used; empty when all can."""
    tracker_login = make_url(settings.scaled_tracker_db_url).set(database=settings.scaled_tracker_login_db)
    checks = [
        ("PostgreSQL (tickets)", settings.scaled_database_url, "SCALED_DATABASE_URL", _postgresql),
        ("PostgreSQL (events copy)", settings.scaled_events_db_url, "SCALED_EVENTS_DB_URL", _postgresql),
        (
            "PostgreSQL (Rasa conversations)",
            tracker_login.render_as_string(hide_password=False),
            "SCALED_TRACKER_DB_URL / SCALED_TRACKER_LOGIN_DB",
            _postgresql,
        ),
        ("Redis", settings.redis_url, "REDIS_URL", _redis),
        ("RabbitMQ", settings.rabbitmq_url, "RABBITMQ_URL", _rabbitmq),
    ]
    problems = []
    for name, url, setting, check in checks:
        reason = check(url)
        if reason:
            problems.append(f"{name} is not reachable at {_hide_password(url)}: {reason} (set {setting} in .env)")
    if not shutil.which(settings.haproxy_bin):
        problems.append(f"HAProxy is not installed at {settings.haproxy_bin} (make run-scaled installs it)")
    return problems


def _hide_password(url: str) -> str:
    head, sep, tail = url.partition("@")
    if not sep or "://" not in head:
        return url
    scheme, _, credentials = head.partition("://")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}{':***' if ':' in credentials else ''}@{tail}"
