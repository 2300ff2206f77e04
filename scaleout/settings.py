"""Settings of the scaled setup (environment and `.env`, documented in .env.example)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parents[1]


class ScaledSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # Operators script these two (make run-scaled RASA_REPLICAS=3 ACTION_REPLICAS=2).
    rasa_replicas: int = Field(default=2, ge=1, le=16)
    action_replicas: int = Field(default=2, ge=1, le=16)
    # uvicorn worker processes of the handoff API (one database, migrations run once before them).
    handoff_workers: int = Field(default=2, ge=1, le=16)

    # The front doors stay where `make run` has them, so the widget and clients do not change:
    # HAProxy listens on these and spreads over the replicas.
    rasa_host: str = "127.0.0.1"
    rasa_port: int = 5005
    action_host: str = "127.0.0.1"
    action_port: int = 5055
    handoff_host: str = "127.0.0.1"
    handoff_port: int = 8000
    # Replica i listens on base + i (loopback only: only HAProxy talks to them).
    scaled_rasa_base_port: int = 5100
    scaled_action_base_port: int = 5200
    # REST messages HAProxy lets each Rasa replica work on at once; the rest wait in HAProxy's queue,
    # in arrival order. A replica reads requests only between turns and in no set order, so with
    # more than one, a burst of one customer's messages can be answered out of order.
    scaled_rasa_concurrency: int = Field(default=1, ge=1, le=1000)
    # HAProxy's statistics page (which replica is up), loopback only.
    scaled_haproxy_stats_port: int = 8404

    # The services. Rasa's conversations: a database the tracker store creates itself (login_db).
    scaled_tracker_db_url: str = "postgresql://postgres@127.0.0.1:5432/tier0_tracker"
    scaled_tracker_login_db: str = "test"
    # Tickets, staff users and rate limits of the handoff API.
    scaled_database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    # The event consumer's copy of the events, which the staff pages and the inbox read.
    scaled_events_db_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    # Conversation locks and the shared message rate limits.
    redis_url: str = "redis://127.0.0.1:6379/0"
    rabbitmq_url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"
    rabbitmq_exchange: str = "rasa-exchange"
    rabbitmq_queue: str = "tier0_events"

    haproxy_bin: str = "/usr/sbin/haproxy"
    # Generated configuration and the processes' logs.
    scaled_run_dir: Path = Path("var/scaled")
    # Seconds to wait for every replica to answer before giving up.
    scaled_start_timeout: float = 300

    def run_dir(self) -> Path:
        return self.scaled_run_dir if self.scaled_run_dir.is_absolute() else PROJECT_DIR / self.scaled_run_dir
