"""Append-only audit log of account actions, a table in the accounts database.

One row per state change or verification attempt: time (UTC, ISO 8601), action, subject (the
email or licence key), outcome and a short detail. Codes, tokens and passwords are never written:
callers pass only outcomes, and the detail is for facts such as a device name or a plan.
SQLite triggers refuse UPDATE and DELETE, so rows cannot be rewritten through this database.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS audit_log_subject ON audit_log (subject);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
"""


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    action: str
    subject: str
    outcome: str
    detail: str


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class AuditLog:
    """Writes go through the caller's connection so an action and its audit row commit together."""

    def __init__(self, clock: Callable[[], dt.datetime] = _utc_now) -> None:
        self._clock = clock

    @staticmethod
    def create_schema(conn: sqlite3.Connection) -> None:
        conn.executescript(SCHEMA)

    def record(self, conn: sqlite3.Connection, action: str, subject: str, outcome: str, detail: str = "") -> None:
        at = self._clock().astimezone(dt.timezone.utc).isoformat(timespec="milliseconds")
        conn.execute(
            "INSERT INTO audit_log (at, action, subject, outcome, detail) VALUES (?, ?, ?, ?, ?)",
            (at, action, subject, outcome, detail[:500]),
        )

    @staticmethod
    def entries(conn: sqlite3.Connection, subject: str | None = None, action: str | None = None) -> list[AuditEntry]:
        """Rows oldest first, optionally only one subject and/or action."""
        sql, args = "SELECT id, at, action, subject, outcome, detail FROM audit_log WHERE 1=1", []
        if subject is not None:
            sql, args = sql + " AND subject = ?", [*args, subject]
        if action is not None:
            sql, args = sql + " AND action = ?", [*args, action]
        return [AuditEntry(*row) for row in conn.execute(sql + " ORDER BY id", args)]
