"""A durable outbox for escalations: nothing a customer was promised is lost when the handoff
service is down or slow, or when the action server restarts.

Every escalation is written to a local SQLite file *before* the first delivery attempt, under a
fresh idempotency key and a short reference the customer can quote (REF-XXXXXX). Delivery sends
the key as `Idempotency-Key`, so a request that timed out but did reach the service, and every
retry after it, yields the same single ticket. Undelivered escalations are retried with
exponential backoff by a background task of the action server (bot/actions/server.py), which
picks them up again after a restart.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import secrets
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from accounts.mail import purge_outbox
from accounts.settings import get_settings as account_settings
from bot.actions.handoff_client import file_ticket
from bot.actions.settings import ActionSettings, get_settings
from common.private_files import private_file
from common.ticket_limits import last_resort

log = logging.getLogger(__name__)

PURGE_EVERY_SECONDS = 3600  # retention runs hourly; it only needs to keep up with days
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
REFERENCE_PREFIX = "REF-"
# Answers that will never turn into a ticket however often they are retried (a malformed body,
# a key reused with another body): kept for an operator, not retried.
PERMANENT = {400, 409, 413, 422}

SCHEMA = """
CREATE TABLE IF NOT EXISTS escalations (
    key TEXT PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',      -- pending | delivered | rejected
    ticket_id TEXT,
    pickup_message TEXT,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS escalations_due ON escalations (state, next_attempt_at);
"""


@dataclass(frozen=True)
class Escalation:
    key: str
    reference: str
    conversation_id: str
    payload: dict[str, Any]
    attempts: int
    state: str
    ticket_id: str | None
    pickup_message: str | None
    last_error: str | None


class HandoffOutbox:
    """The escalations table; safe to use from several threads and processes (SQLite locking)."""

    def __init__(self, path: Path, backoff_base: float = 2.0, backoff_max: float = 300.0) -> None:
        self.path = private_file(path)  # escalations carry the whole conversation
        self.backoff_base, self.backoff_max = backoff_base, backoff_max
        with self._db() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA journal_mode=WAL")
            # A reference given to a customer must survive a power cut.
            db.execute("PRAGMA synchronous=FULL")
            yield db
        finally:
            db.close()

    @staticmethod
    def _row(row: sqlite3.Row) -> Escalation:
        return Escalation(
            key=row["key"],
            reference=row["reference"],
            conversation_id=row["conversation_id"],
            payload=json.loads(row["payload"]),
            attempts=row["attempts"],
            state=row["state"],
            ticket_id=row["ticket_id"],
            pickup_message=row["pickup_message"],
            last_error=row["last_error"],
        )

    def add(self, payload: dict[str, Any]) -> Escalation:
        key = str(uuid.uuid4())
        now = time.time()
        with self._db() as db:
            while True:
                reference = REFERENCE_PREFIX + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
                try:
                    db.execute(
                        "INSERT INTO escalations"
                        " (key, reference, conversation_id, payload, created_at, next_attempt_at)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        (key, reference, payload.get("conversation_id", ""), json.dumps(payload), now, now),
                    )
                    break
                except sqlite3.IntegrityError:  # reference already taken: draw another
                    continue
        return self.get(key)  # type: ignore[return-value]

    def get(self, key: str) -> Escalation | None:
        with self._db() as db:
            row = db.execute("SELECT * FROM escalations WHERE key = ?", (key,)).fetchone()
        return self._row(row) if row else None

    def by_reference(self, reference: str) -> Escalation | None:
        with self._db() as db:
            row = db.execute("SELECT * FROM escalations WHERE reference = ?", (reference.strip().upper(),)).fetchone()
        return self._row(row) if row else None

    def due(self, now: float | None = None, limit: int = 20) -> list[Escalation]:
        with self._db() as db:
            rows = db.execute(
                "SELECT * FROM escalations WHERE state = 'pending' AND next_attempt_at <= ?"
                " ORDER BY created_at LIMIT ?",
                (time.time() if now is None else now, limit),
            ).fetchall()
        return [self._row(r) for r in rows]

    def pending(self) -> list[Escalation]:
        with self._db() as db:
            rows = db.execute("SELECT * FROM escalations WHERE state = 'pending' ORDER BY created_at").fetchall()
        return [self._row(r) for r in rows]

    def delivered(self, key: str, ticket_id: str, pickup_message: str | None) -> None:
        with self._db() as db:
            db.execute(
                "UPDATE escalations SET state = 'delivered', ticket_id = ?, pickup_message = ?,"
                " attempts = attempts + 1, last_error = NULL WHERE key = ?",
                (ticket_id, pickup_message, key),
            )

    def replace_payload(self, key: str, payload: dict[str, Any]) -> None:
        with self._db() as db:
            db.execute("UPDATE escalations SET payload = ? WHERE key = ?", (json.dumps(payload), key))

    def purge(self, older_than: float) -> int:
        """Forget the conversation of settled escalations made before `older_than` (a Unix time):
        the payload is emptied, the reference and its ticket id stay, so "what's the status of
        REF-..." still finds the ticket. Returns how many were emptied."""
        with self._db() as db:
            cursor = db.execute(
                "UPDATE escalations SET payload = '{}', last_error = NULL"
                " WHERE state IN ('delivered', 'rejected') AND created_at < ? AND payload != '{}'",
                (older_than,),
            )
            return cursor.rowcount

    def failed(self, key: str, error: str, permanent: bool = False) -> None:
        with self._db() as db:
            row = db.execute("SELECT attempts FROM escalations WHERE key = ?", (key,)).fetchone()
            attempts = (row["attempts"] if row else 0) + 1
            # Exponential backoff with jitter, so a recovering service is not hit by every bot at once.
            delay = min(self.backoff_max, self.backoff_base * 2 ** (attempts - 1)) * random.uniform(0.8, 1.2)
            db.execute(
                "UPDATE escalations SET attempts = ?, last_error = ?, next_attempt_at = ?, state = ? WHERE key = ?",
                (attempts, error[:500], time.time() + delay, "rejected" if permanent else "pending", key),
            )


def outbox_from_settings(settings: ActionSettings | None = None) -> HandoffOutbox:
    settings = settings or get_settings()
    return HandoffOutbox(
        settings.handoff_outbox_path, settings.handoff_retry_base_seconds, settings.handoff_retry_max_seconds
    )


async def deliver(outbox: HandoffOutbox, escalation: Escalation, settings: ActionSettings | None = None) -> Escalation:
    """One delivery attempt; the outbox row records the result either way."""
    settings = settings or get_settings()
    try:
        response = await file_ticket(escalation.payload, escalation.key, settings)
    except httpx.HTTPError as exc:
        outbox.failed(escalation.key, f"{type(exc).__name__}: {exc}")
        log.warning("handoff %s not delivered (%s); will retry", escalation.reference, type(exc).__name__)
    else:
        if response.is_success:
            body = response.json()
            outbox.delivered(escalation.key, body["id"], body.get("pickup_message"))
            log.info("handoff %s delivered as %s", escalation.reference, body["id"])
        else:
            permanent = response.status_code in PERMANENT
            refusal = f"HTTP {response.status_code}: {response.text[:300]}"
            if permanent and "alert" not in escalation.payload:
                # Never lose it: the essentials, with an alert for the staff queue, under the same key.
                log.error("handoff %s refused (%s): sending what can be kept", escalation.reference, refusal)
                outbox.replace_payload(escalation.key, last_resort(escalation.payload, refusal))
                return await deliver(outbox, outbox.get(escalation.key), settings)  # type: ignore[arg-type]
            outbox.failed(escalation.key, refusal, permanent)
            log.error("handoff %s refused with HTTP %s", escalation.reference, response.status_code)
    return outbox.get(escalation.key)  # type: ignore[return-value]


async def run_worker(outbox: HandoffOutbox, settings: ActionSettings | None = None) -> None:
    """Deliver due escalations until cancelled (started by the action server)."""
    settings = settings or get_settings()
    purged_at = 0.0
    while True:
        try:
            for escalation in outbox.due():
                await deliver(outbox, escalation, settings)
            if time.time() - purged_at >= PURGE_EVERY_SECONDS:
                purged_at = time.time()
                purge_old(outbox, settings)
        except Exception:  # the worker must outlive any single bad row or a locked file
            log.exception("handoff outbox worker")
        await asyncio.sleep(settings.handoff_retry_poll_seconds)


def purge_old(
    outbox: HandoffOutbox, settings: ActionSettings, mail_dir: Path | None = None, now: float | None = None
) -> tuple[int, int]:
    """Retention: settled escalations' conversations and mail files older than
    OUTBOX_RETENTION_DAYS. Returns (escalations emptied, mail files deleted)."""
    cutoff = (time.time() if now is None else now) - settings.outbox_retention_days * 86400
    emptied = outbox.purge(cutoff)
    deleted = purge_outbox(mail_dir or account_settings().mail_outbox_dir, cutoff)
    if emptied or deleted:
        log.info("retention: %d settled escalations emptied, %d mail files deleted", emptied, deleted)
    return emptied, deleted
