"""The demo backend's plumbing: one SQLite file (WAL, one short BEGIN IMMEDIATE transaction per
call on its own connection, safe from threads and processes), created and seeded on first use,
the HMAC secret for codes and tokens, audited transactions, and mail sent after the commit."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import os
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from accounts.audit import AuditEntry, AuditLog
from accounts.backend import (
    AccountError,
    Customer,
    UnknownAccount,
)
from accounts.demo_data import SCHEMA, SEED_CUSTOMERS, SEED_LICENSES
from accounts.mail import Mailer
from accounts.settings import AccountSettings, get_settings
from common.private_files import private_file


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class DemoStore:
    """The state every part of the demo backend shares. `clock` (returns an aware datetime) lets
    tests move time."""

    def __init__(
        self,
        settings: AccountSettings | None = None,
        *,
        clock: Callable[[], dt.datetime] | None = None,
        mailer: Mailer | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.db_path = Path(self.settings.accounts_db_path)
        self._clock = clock or _utc_now
        self.mailer = mailer or Mailer(self.settings)
        self.audit = AuditLog(self._clock)
        self._ready = False
        self._init_lock = threading.Lock()
        self._secret: bytes | None = None

    # --- plumbing -------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN ourselves, so every call is exactly one transaction.
        conn = sqlite3.connect(self.db_path, timeout=10.0, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._ensure_ready()
        with self._write_transaction() as conn:
            yield conn

    @contextlib.contextmanager
    def _write_transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._connect()
        try:
            # IMMEDIATE takes the write lock up front: read-modify-write (attempt counters, seats)
            # cannot interleave with another request.
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    def _ensure_ready(self) -> None:
        if self._ready:
            return
        with self._init_lock:
            if self._ready:
                return
            private_file(self.db_path)  # codes, customers and the audit log: owner-only
            conn = self._connect()
            try:
                conn.execute("PRAGMA journal_mode = WAL")  # readers never block the writer
                conn.executescript(SCHEMA)
                AuditLog.create_schema(conn)
            finally:
                conn.close()
            with self._write_transaction() as conn:
                self._seed(conn)
            self._ready = True

    def _seed(self, conn: sqlite3.Connection) -> None:
        """Insert the demo rows that are missing; never overwrites (idempotent, keeps tester changes)."""
        today = self._today()
        inserted = 0
        for email, name, tfa, locked, plan, billing, seats, days in SEED_CUSTOMERS:
            cur = conn.execute(
                "INSERT OR IGNORE INTO customers (email, name, two_factor_enabled, locked) VALUES (?, ?, ?, ?)",
                (email, name, int(tfa), int(locked)),
            )
            inserted += cur.rowcount
            renews = (today + dt.timedelta(days=days)).isoformat() if days is not None else None
            cur = conn.execute(
                "INSERT OR IGNORE INTO subscriptions (email, plan, billing, seats, renews_on) VALUES (?, ?, ?, ?, ?)",
                (email, plan, billing, seats, renews),
            )
            inserted += cur.rowcount
        for key, owner, seats_total, devices in SEED_LICENSES:
            cur = conn.execute(
                "INSERT OR IGNORE INTO licenses (key, owner_email, seats_total) VALUES (?, ?, ?)",
                (key, owner, seats_total),
            )
            if cur.rowcount:  # devices only with a new key, so a released seat stays released
                inserted += 1
                for device in devices:
                    conn.execute(
                        "INSERT INTO activations (key, device_name, activated_at) VALUES (?, ?, ?)",
                        (key, device, self._now().isoformat()),
                    )
        if inserted:
            self.audit.record(conn, "seed_demo_data", "-", "inserted", f"{inserted} rows")

    def restore_seed(self) -> None:
        """Back to the seeded demo rows: what testers changed (plans, unlocks, seats, codes) is undone.
        The audit log stays, with a line saying so."""
        self._ensure_ready()
        with self._tx() as conn:
            for table in (
                "activations",
                "licenses",
                "one_time_codes",
                "reset_tokens",
                "two_factor_resets",
                "verification_grants",
                "subscriptions",
                "customers",
            ):
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            self._seed(conn)
            self.audit.record(conn, "restore_seed", "-", "restored")

    def _now(self) -> dt.datetime:
        return self._clock().astimezone(dt.timezone.utc)

    def _today(self) -> dt.date:
        return self._now().date()

    def _secret_key(self) -> bytes:
        """The HMAC key: ACCOUNT_SECRET, or a random one kept in a file beside (not in) the database."""
        if self._secret is None:
            if self.settings.account_secret:
                self._secret = self.settings.account_secret.encode()
            else:
                self._secret = self._file_secret(self.db_path.parent / "account_secret")
        return self._secret

    @staticmethod
    def _file_secret(path: Path) -> bytes:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
            # link() never replaces: if another process won the race, both use its secret.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
            tmp.unlink()
        return path.read_text().strip().encode()

    def _hash(self, purpose: str, email: str, value: str) -> str:
        # Bound to purpose and email: a stored hash is useless for another account or use.
        message = f"{purpose}\0{email}\0{value}".encode()
        return hmac.new(self._secret_key(), message, hashlib.sha256).hexdigest()

    def _customer(self, conn: sqlite3.Connection, email: str) -> Customer | None:
        row = conn.execute(
            "SELECT c.email, c.name, s.plan, c.two_factor_enabled, c.locked FROM customers c "
            "JOIN subscriptions s ON s.email = c.email WHERE c.email = ?",
            (email,),
        ).fetchone()
        if row is None:
            return None
        return Customer(row["email"], row["name"], row["plan"], bool(row["two_factor_enabled"]), bool(row["locked"]))

    def _require_customer(self, conn: sqlite3.Connection, email: str) -> Customer:
        customer = self._customer(conn, email)
        if customer is None:
            raise UnknownAccount("I couldn't find a Nimbus account with that email address.")
        return customer

    # --- audit helpers ----------------------------------------------------------------------

    @contextlib.contextmanager
    def _audited(self, subject: str, action: str) -> Iterator[tuple[sqlite3.Connection, list[str]]]:
        """One transaction that always ends with an audit row, also when the request is refused.

        The body appends its outcome (and optionally a detail) to the list; a refused request
        (AccountError) is rolled back but still audited as "rejected: <error class>".
        """
        outcome: list[str] = []
        try:
            with self._tx() as conn:
                yield conn, outcome
                self.audit.record(conn, action, subject, outcome[0] if outcome else "ok", "; ".join(outcome[1:]))
        except AccountError as exc:
            with self._tx() as conn:
                detail = "; ".join(o for o in outcome if "=" in o)
                self.audit.record(conn, action, subject, f"rejected:{type(exc).__name__}", detail)
            raise

    def _mail(self, action: str, email: str, subject: str, body: str) -> None:
        try:
            self.mailer.send(email, subject, body)
        except AccountError as exc:
            with self._tx() as conn:
                self.audit.record(conn, action, email, "mail_failed", str(exc))
            raise

    def audit_entries(self, subject: str | None = None, action: str | None = None) -> list[AuditEntry]:
        """Audit rows oldest first (for tests and support staff)."""
        with self._tx() as conn:
            return AuditLog.entries(conn, subject, action)
