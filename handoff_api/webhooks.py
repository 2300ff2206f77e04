"""The outbound webhook: ticket events for an existing help desk, HMAC-signed and retried.

An event is a row in `webhook_deliveries`, written in the same transaction as the change it
reports (so a crash cannot lose it and a rolled-back change sends nothing). A worker task in the
API process sends due rows and, on failure, schedules the next attempt with exponential backoff
(tenacity's wait_exponential) in the row itself, so a restart resumes where it stopped.

Every request: `POST WEBHOOK_URL` with the JSON payload (docs/handoff-api.md, "Outbound webhook") and
  X-Tier0-Event: ticket.created | ticket.updated | ticket.note_added
  X-Tier0-Delivery: the delivery's uuid (the same on every retry: receivers deduplicate by it)
  X-Tier0-Timestamp: unix seconds of this attempt
  X-Tier0-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with WEBHOOK_SECRET>
The timestamp is inside the signed text so that a receiver can refuse replays of old requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import time
import uuid
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from tenacity import RetryCallState, wait_exponential

from handoff_api.db import Database
from handoff_api.models import WebhookDelivery, utcnow
from handoff_api.settings import Settings

log = logging.getLogger(__name__)

EVENTS = ("ticket.created", "ticket.updated", "ticket.note_added")
SIGNATURE_HEADER = "X-Tier0-Signature"
TIMESTAMP_HEADER = "X-Tier0-Timestamp"
# A claimed delivery is not picked again for this long (a crashed sender's claim runs out).
CLAIM_SECONDS = 60
BATCH = 20


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does (also used by the tests)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def enqueue(session: Session, settings: Settings, event: str, ticket_id: str, data: dict[str, Any]) -> None:
    """Add the event to the caller's transaction; nothing when the webhook is off."""
    if not settings.webhook_url:
        return
    delivery_id = str(uuid.uuid4())
    now = utcnow()
    payload = {"id": delivery_id, "event": event, "occurred_at": now.isoformat(), **data}
    session.add(
        WebhookDelivery(
            id=delivery_id,
            event=event,
            ticket_id=ticket_id,
            payload=json.dumps(payload, separators=(",", ":"), default=str),
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )


class WebhookWorker:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._wake = asyncio.Event()
        self._in_flight: set[str] = set()
        self._backoff = wait_exponential(
            multiplier=settings.webhook_backoff_base_seconds, max=settings.webhook_backoff_max_seconds
        )

    def wake(self) -> None:
        """Called (from any thread) after a commit that enqueued an event: send it now."""
        loop = getattr(self, "_loop", None)
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake.set)

    def backoff_seconds(self, attempts: int) -> float:
        state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
        state.attempt_number = attempts
        return float(self._backoff(state))

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        try:
            await self._loop_forever()
        finally:
            # Stopped mid-send: hand the claims back so the next start sends them at once instead
            # of waiting for the claim to run out (the receiver deduplicates by X-Tier0-Delivery).
            if self._in_flight:
                self._release(set(self._in_flight))

    async def _loop_forever(self) -> None:
        async with httpx.AsyncClient(timeout=self.settings.webhook_timeout_seconds) as client:
            while True:
                try:
                    sent = await self.send_due(client)
                except Exception:  # the database may be briefly unreachable: try again later
                    log.exception("webhook worker: could not read due deliveries")
                    sent = 0
                if sent:
                    continue  # there may be more due right away
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.settings.webhook_poll_seconds)

    async def send_due(self, client: httpx.AsyncClient) -> int:
        claimed = await asyncio.to_thread(self._claim_due)
        if claimed:
            await asyncio.gather(*(self._send(client, d) for d in claimed))
        return len(claimed)

    def _claim_due(self) -> list[tuple[str, str, str, int]]:
        now = utcnow()
        with self.db.write_session() as session:
            rows = session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
                .order_by(WebhookDelivery.next_attempt_at)
                .limit(BATCH)
                # PostgreSQL: two processes never claim the same row (ignored on SQLite, whose
                # IMMEDIATE transaction already serialises this).
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                row.next_attempt_at = now + dt.timedelta(seconds=CLAIM_SECONDS)
            claimed = [(r.id, r.event, r.payload, r.attempts) for r in rows]
            session.commit()
        self._in_flight.update(c[0] for c in claimed)
        return claimed

    def _release(self, ids: set[str]) -> None:
        with self.db.write_session() as session:
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(ids), WebhookDelivery.status == "pending")
                .values(next_attempt_at=utcnow())
            )
            session.commit()

    async def _send(self, client: httpx.AsyncClient, delivery: tuple[str, str, str, int]) -> None:
        delivery_id, event, payload, attempts = delivery
        body = payload.encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Tier0-Handoff/1",
            "X-Tier0-Event": event,
            "X-Tier0-Delivery": delivery_id,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self.settings.webhook_secret, timestamp, body),
        }
        error: str | None = None
        try:
            response = await client.post(self.settings.webhook_url, content=body, headers=headers)
            if not response.is_success:
                error = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        await asyncio.to_thread(self._record, delivery_id, attempts + 1, error)
        self._in_flight.discard(delivery_id)

    def _record(self, delivery_id: str, attempts: int, error: str | None) -> None:
        with self.db.write_session() as session:
            row = session.get(WebhookDelivery, delivery_id)
            if row is None:
                return
            row.attempts = attempts
            row.last_error = error
            if error is None:
                row.status = "delivered"
                row.delivered_at = utcnow()
            elif attempts >= self.settings.webhook_max_attempts:
                row.status = "failed"
                log.error("webhook delivery %s given up after %d attempts: %s", delivery_id, attempts, error)
            else:
                row.next_attempt_at = utcnow() + dt.timedelta(seconds=self.backoff_seconds(attempts))
                log.warning("webhook delivery %s attempt %d failed: %s", delivery_id, attempts, error)
            session.commit()
