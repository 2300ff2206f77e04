"""Copy Rasa's events from RabbitMQ into an `events` table for the inbox and the analytics.

In the scaled setup every Rasa process publishes each new event (already masked by
bot/tracker_store.py) to a fanout exchange through Rasa's pika event broker. This consumer writes
them into a table of the same shape as Rasa's tracker store, in its own database, so the staff
pages and `python -m insights` read that copy (their TRACKER_DB_URL names it) instead of scanning
the tables the Rasa processes write to on every turn.

Delivery is at least once: messages are acknowledged after their rows are committed, so a consumer
that dies in between writes those events again when it restarts. When RabbitMQ is away the consumer waits
and reconnects (tenacity); the Rasa processes keep answering and hold their unpublished events in
memory until the broker is back (Rasa's pika broker).

    python -m insights.event_consumer     (settings: EVENTS_* and RABBITMQ_* in .env.example)
"""

from __future__ import annotations

import json
import logging
import signal
import sys
from typing import Any

import pika
import pika.exceptions
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Index, create_engine
from sqlalchemy.engine import Engine
from tenacity import before_sleep_log, retry, retry_if_exception_type, wait_exponential

from insights.tracker_events import EVENTS

log = logging.getLogger("insights.event_consumer")
Index("events_sender_id_idx", EVENTS.c.sender_id)


class ConsumerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # The broker Rasa publishes to (endpoints.scaled.yml) and the queue this consumer reads.
    rabbitmq_url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"
    rabbitmq_exchange: str = "rasa-exchange"
    rabbitmq_queue: str = "tier0_events"
    # Where the copy goes: the database the staff pages read as TRACKER_DB_URL in the scaled setup.
    events_db_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    # Unacknowledged messages RabbitMQ hands out at once (also the largest batch written at once).
    events_prefetch: int = 200
    # A batch is written once no new event came for this long.
    events_flush_seconds: float = 0.05


def row(body: bytes) -> dict[str, Any]:
    """The tracker-store row of one published event (Rasa's SQLTrackerStore.save does the same)."""
    event = json.loads(body)
    conversation_id = event.pop("sender_id")
    return {
        "sender_id": conversation_id,
        "type_name": event.get("event"),
        "timestamp": event.get("timestamp"),
        "intent_name": (event.get("parse_data") or {}).get("intent", {}).get("name"),
        "action_name": event.get("name"),
        "data": json.dumps(event),
    }


def declare(channel: Any, settings: ConsumerSettings) -> None:
    # As Rasa's pika broker declares them (a fanout exchange, a durable queue), so whichever side
    # starts first, both agree.
    channel.exchange_declare(settings.rabbitmq_exchange, exchange_type="fanout")
    channel.queue_declare(settings.rabbitmq_queue, durable=True)
    channel.queue_bind(settings.rabbitmq_queue, settings.rabbitmq_exchange)


def consume(settings: ConsumerSettings, engine: Engine) -> None:
    """Reads until stopped; raises on a lost connection (the caller reconnects). What has arrived is
    written in one transaction and acknowledged together: a batch when events keep coming, a
    single event within `events_flush_seconds` when they trickle in."""
    connection = pika.BlockingConnection(pika.URLParameters(settings.rabbitmq_url))
    try:
        channel = connection.channel()
        declare(channel, settings)
        channel.basic_qos(prefetch_count=settings.events_prefetch)
        log.info("copying events from queue %s into %s", settings.rabbitmq_queue, engine.url.render_as_string())
        print("event consumer ready", flush=True)
        batch: list[dict[str, Any]] = []
        last_tag = None
        messages = channel.consume(settings.rabbitmq_queue, inactivity_timeout=settings.events_flush_seconds)
        for method, _properties, body in messages:
            if method is not None:
                try:
                    batch.append(row(body))
                    last_tag = method.delivery_tag
                except (ValueError, KeyError, AttributeError) as exc:
                    log.warning("dropped a message that is no Rasa event (%s): %.200r", exc, body)
                    channel.basic_nack(method.delivery_tag, requeue=False)
                if len(batch) < settings.events_prefetch:
                    continue
            if batch:
                with engine.begin() as db:
                    db.execute(EVENTS.insert(), batch)
                channel.basic_ack(last_tag, multiple=True)
                batch = []
    finally:
        if connection.is_open:
            connection.close()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = ConsumerSettings()
    engine = create_engine(settings.events_db_url, pool_pre_ping=True)
    EVENTS.metadata.create_all(engine)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    reconnecting = retry(
        retry=retry_if_exception_type(pika.exceptions.AMQPError),
        wait=wait_exponential(multiplier=0.2, max=5),
        before_sleep=before_sleep_log(log, logging.WARNING),
    )(consume)
    reconnecting(settings, engine)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
