"""Start the scaled setup, or only check its services.

    python -m scaleout run [--rasa-replicas N] [--action-replicas M] [--model PATH]
    python -m scaleout check

`run` checks PostgreSQL, Redis, RabbitMQ and HAProxy first and stops with one line per missing one;
then it brings the tickets' schema to the newest migration (once, not per worker), writes the
HAProxy and supervisord configuration into SCALED_RUN_DIR and runs supervisord until stopped.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy.engine import make_url

from common.readiness import wait_until_answering
from scaleout import haproxy, supervisor
from scaleout.preflight import missing_services
from scaleout.settings import PROJECT_DIR, ScaledSettings


def process_env(settings: ScaledSettings) -> dict[str, str]:
    """What every process of the scaled setup reads on top of the caller's environment."""
    tracker = make_url(settings.scaled_tracker_db_url)
    amqp = urlsplit(settings.rabbitmq_url)
    front = f"http://{settings.rasa_host}:{settings.rasa_port}"
    return {
        # Rasa (endpoints.scaled.yml): its tracker store, lock store and event broker.
        "TRACKER_PG_HOST": f"{tracker.host}:{tracker.port or 5432}",
        "TRACKER_PG_DB": tracker.database or "tier0_tracker",
        "TRACKER_PG_USER": tracker.username or "postgres",
        "TRACKER_PG_PASSWORD": tracker.password or "",
        "TRACKER_PG_LOGIN_DB": settings.scaled_tracker_login_db,
        "REDIS_URL": settings.redis_url,
        # Pushes to a widget reach it whichever replica sends them (bot/channels.py).
        "SOCKETIO_MESSAGE_QUEUE": settings.redis_url,
        "RABBITMQ_URL": settings.rabbitmq_url,
        "RABBITMQ_USERNAME": unquote(amqp.username or "guest"),
        "RABBITMQ_PASSWORD": unquote(amqp.password or "guest"),
        "RABBITMQ_PORT": str(amqp.port or 5672),
        "RABBITMQ_EXCHANGE": settings.rabbitmq_exchange,
        "RABBITMQ_QUEUE": settings.rabbitmq_queue,
        "ACTION_ENDPOINT_URL": f"http://{settings.action_host}:{settings.action_port}/webhook",
        # One message budget for a customer whichever replica answers; HAProxy adds the address.
        "RATE_LIMIT_URL": settings.redis_url,
        "TRUSTED_PROXIES": "1",
        "RASA_URL": front,
        # The handoff API and the insights read the tickets and the consumer's copy of the events.
        "DATABASE_URL": settings.scaled_database_url,
        "TRACKER_DB_URL": settings.scaled_events_db_url,
        "EVENTS_DB_URL": settings.scaled_events_db_url,
        "HANDOFF_HOST": settings.handoff_host,
        "HANDOFF_PORT": str(settings.handoff_port),
    }


def readiness_urls(settings: ScaledSettings) -> dict[str, str]:
    urls = {f"Rasa replica {p}": f"http://127.0.0.1:{p}/" for p in haproxy.rasa_ports(settings)}
    urls |= {f"action server {p}": f"http://127.0.0.1:{p}/health" for p in haproxy.action_ports(settings)}
    urls["Rasa through HAProxy"] = f"http://{settings.rasa_host}:{settings.rasa_port}/"
    urls["handoff API"] = f"http://{settings.handoff_host}:{settings.handoff_port}/readyz"
    return urls


def wait_ready(settings: ScaledSettings, supervisord: subprocess.Popen) -> float:
    started = time.monotonic()

    def still_starting(pending: dict[str, str]) -> None:
        if supervisord.poll() is not None:
            raise SystemExit(f"supervisord exited ({supervisord.returncode}); see {settings.run_dir() / 'logs'}")
        if time.monotonic() - started > settings.scaled_start_timeout:
            raise SystemExit(f"not up after {settings.scaled_start_timeout:.0f} s: {', '.join(pending)}")

    return wait_until_answering(readiness_urls(settings), still_starting)


def run(settings: ScaledSettings, model: Path) -> int:
    problems = missing_services(settings)
    if problems:
        print("The scaled setup cannot start:", *problems, sep="\n  ", file=sys.stderr)
        return 2
    env = os.environ | process_env(settings)
    app_py = str(supervisor.APP_PY)
    subprocess.run([app_py, "-m", "handoff_api.cli", "migrate"], env=env, cwd=PROJECT_DIR, check=True)
    run_dir = settings.run_dir()
    (run_dir / "logs").mkdir(parents=True, exist_ok=True)
    (run_dir / "haproxy.cfg").write_text(haproxy.render(settings))
    (run_dir / "supervisord.conf").write_text(supervisor.render(settings, model.resolve()))
    supervisord = subprocess.Popen(
        [str(supervisor.APP_PY.parent / "supervisord"), "-c", str(run_dir / "supervisord.conf")],
        env=env,
        cwd=PROJECT_DIR,
    )

    def stop(*_: object) -> None:
        supervisord.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    ready_s = wait_ready(settings, supervisord)
    print(
        f"\nTier0 (scaled) is up after {ready_s:.0f} s: {settings.rasa_replicas} Rasa and"
        f" {settings.action_replicas} action processes behind HAProxy\n"
        f"  Rasa front door:   http://{settings.rasa_host}:{settings.rasa_port}\n"
        f"  Help site, staff:  http://{settings.handoff_host}:{settings.handoff_port}/\n"
        f"  HAProxy status:    http://127.0.0.1:{settings.scaled_haproxy_stats_port}/\n"
        f"  Processes:         .venvs/app/bin/supervisorctl -c {run_dir / 'supervisord.conf'} status\n"
        f"  Logs:              {run_dir / 'logs'}/\n",
        flush=True,
    )
    return supervisord.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scaleout", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("run", help="check the services, then start every process")
    start.add_argument("--rasa-replicas", type=int)
    start.add_argument("--action-replicas", type=int)
    start.add_argument("--model", type=Path, default=PROJECT_DIR / "models/nimbus.tar.gz")
    commands.add_parser("check", help="only check PostgreSQL, Redis, RabbitMQ and HAProxy")
    args = parser.parse_args(argv)
    overrides = {}
    if args.command == "run":
        overrides = {
            k: v for k, v in (("rasa_replicas", args.rasa_replicas), ("action_replicas", args.action_replicas)) if v
        }
    settings = ScaledSettings(**overrides)
    if args.command == "check":
        problems = missing_services(settings)
        print("\n".join(problems) or "PostgreSQL, Redis, RabbitMQ and HAProxy: all there")
        return 2 if problems else 0
    return run(settings, args.model)


if __name__ == "__main__":
    raise SystemExit(main())
