"""Where the local services are (PostgreSQL, Redis, RabbitMQ): they run on every machine, CI's
included; the TIER0_TEST_* variables point elsewhere."""

from __future__ import annotations

import os

PG_SERVER = os.environ.get("TIER0_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_SERVER = os.environ.get("TIER0_TEST_REDIS", "redis://127.0.0.1:6379/15")
RABBITMQ_SERVER = os.environ.get("TIER0_TEST_RABBITMQ", "amqp://guest:guest@127.0.0.1:5672/%2F")
