"""The demo account backend: customers, one-time codes, licences and plans in one SQLite file.

Tables are created and seeded on first use (seed rows are inserted only when missing, so a restart
never undoes what a tester changed; delete the file, or `make clean`, to start over). The seed
data is listed in docs/nimbus-facts.md under "Demo accounts".

Every call is one short `BEGIN IMMEDIATE` transaction on its own connection (WAL mode, busy
timeout), which is safe from the action server's threads and from several processes. Mail goes
out after the transaction commits, so a slow SMTP server never holds the database lock.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from bot.actions.accounts.audit import AuditEntry, AuditLog
from bot.actions.accounts.backend import (
    CANCEL_NOTE,
    PLANS,
    AccountError,
    Customer,
    LicenseError,
    LicenseStatus,
    PlanChangeError,
    PlanInfo,
    UnknownAccount,
    VerifyResult,
    is_valid_key_format,
    normalise_email,
    normalise_key,
    plan_rank,
)
from bot.actions.accounts.mail import Mailer
from bot.actions.settings import ActionSettings, get_settings
from common.private_files import private_file

SCHEMA = """
CREATE TABLE IF NOT EXISTS customers (
    email TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    two_factor_enabled INTEGER NOT NULL DEFAULT 0,
    locked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS subscriptions (
    email TEXT PRIMARY KEY REFERENCES customers (email),
    plan TEXT NOT NULL,
    billing TEXT,
    seats INTEGER NOT NULL DEFAULT 1,
    renews_on TEXT,
    cancelled INTEGER NOT NULL DEFAULT 0,
    pending_plan TEXT
);
-- Keyed by email, so a new code replaces the previous one. Unknown emails get a decoy row too.
CREATE TABLE IF NOT EXISTS one_time_codes (
    email TEXT PRIMARY KEY,
    code_hash TEXT NOT NULL,
    expires_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    burned INTEGER NOT NULL DEFAULT 0
);
-- Written only by a correct one-time code: account actions of that conversation for that email,
-- until expires_at (a forged call to the action server has no grant, whatever slots it sends).
CREATE TABLE IF NOT EXISTS verification_grants (
    conversation_id TEXT NOT NULL,
    email TEXT NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (conversation_id, email)
);
CREATE TABLE IF NOT EXISTS reset_tokens (
    token_hash TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    expires_at REAL NOT NULL,
    used_at REAL
);
CREATE TABLE IF NOT EXISTS two_factor_resets (
    reference TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
);
CREATE TABLE IF NOT EXISTS licenses (
    key TEXT PRIMARY KEY,
    owner_email TEXT,
    seats_total INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS activations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL REFERENCES licenses (key),
    device_name TEXT NOT NULL COLLATE NOCASE,
    activated_at TEXT NOT NULL,
    UNIQUE (key, device_name)
);
"""

# (email, name, two_factor_enabled, locked, plan, billing, seats, days until renewal)
SEED_CUSTOMERS = [
    ("alex@example.com", "Alex Morgan", False, False, "plus", "monthly", 1, 12),
    ("sam@example.com", "Sam Rivera", True, False, "business", "annual", 5, 200),
    ("jordan@example.com", "Jordan Lee", False, True, "plus", "annual", 1, 90),
    ("taylor@example.com", "Taylor Brooks", False, False, "free", None, 1, None),
]
# (key, owner, seats_total, activated devices): one key works on 2 computers at once (Desktop Pro).
SEED_LICENSES = [
    ("NMB2K-7QX4P-R8T3W-5HJ6Z", "alex@example.com", 2, ["Alex-MacBook"]),
    ("NMB5F-9ZK3R-T2W8N-4HC6B", "taylor@example.com", 2, []),
    ("NMB8X-3LD7Q-W4K9M-2RV5T", "sam@example.com", 2, ["SAM-DESKTOP", "SAM-LAPTOP"]),
]
# USD per seat and month, taxes extra (annual Plus is $60/year); docs/nimbus-facts.md, "Plans".
PRICE_PER_SEAT_MONTH = {
    ("plus", "monthly"): Decimal("6.00"),
    ("plus", "annual"): Decimal("5.00"),
    ("business", "monthly"): Decimal("14.00"),
    ("business", "annual"): Decimal("12.00"),
}
_CODE_CHARS = re.compile(r"[\s\-]")
_DEVICE_MAX = 80


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day of month `months` later, clamped (Jan 31 + 1 month = Feb 28/29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class _Sub:
    email: str
    plan: str
    billing: str | None
    seats: int
    renews_on: dt.date | None
    cancelled: bool
    pending_plan: str | None


class DemoAccountBackend:
    """`AccountBackend` on SQLite. `clock` (returns an aware datetime) lets tests move time."""

    def __init__(
        self,
        settings: ActionSettings | None = None,
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
                conn.execute("BEGIN IMMEDIATE")
                try:
                    self._seed(conn)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            finally:
                conn.close()
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
            for table in ("activations", "licenses", "one_time_codes", "reset_tokens", "two_factor_resets",
                          "verification_grants", "subscriptions", "customers"):
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

    # --- identity ---------------------------------------------------------------------------

    def lookup_customer(self, email: str) -> Customer | None:
        email = normalise_email(email)
        with self._tx() as conn:
            sub = self._load_sub(conn, email)
            if sub is not None:  # a period that ended since the last visit changes the plan shown
                self._roll_forward(conn, sub)
            return self._customer(conn, email)

    def send_code(self, email: str) -> None:
        email = normalise_email(email)
        code = f"{secrets.randbelow(1_000_000):06d}"
        now = self._now().timestamp()
        with self._tx() as conn:
            customer = self._customer(conn, email)
            conn.execute("DELETE FROM one_time_codes WHERE expires_at < ?", (now - 86400,))  # keep the table small
            # Unknown emails get a decoy code nobody receives, so verify_code answers exactly as it
            # would for a real account and the dialogue cannot leak whether the account exists.
            conn.execute(
                "INSERT OR REPLACE INTO one_time_codes (email, code_hash, expires_at, attempts, burned) "
                "VALUES (?, ?, ?, 0, 0)",
                (email, self._hash("otp", email, code), now + self.settings.otp_ttl_seconds),
            )
            self.audit.record(conn, "send_code", email, "issued" if customer else "unknown_email")
        if customer is not None:
            minutes = max(self.settings.otp_ttl_seconds // 60, 1)
            self._mail(
                "send_code",
                email,
                "Your Nimbus verification code",
                f"Hello {customer.name},\n\n"
                f"Your Nimbus verification code is {code}\n\n"
                f"It is valid for {minutes} minutes and works once. Type it into the chat to continue.\n\n"
                "If you did not ask for it, ignore this email: nobody can use your account without it.\n"
                "Nimbus support will never ask you for your password.\n\n"
                "— Nimbus Support",
            )

    def verify_code(self, email: str, code: str, conversation_id: str | None = None) -> VerifyResult:
        email = normalise_email(email)
        now = self._now().timestamp()
        max_attempts = self.settings.otp_max_attempts
        with self._tx() as conn:
            row = conn.execute(
                "SELECT code_hash, expires_at, attempts, burned FROM one_time_codes WHERE email = ?", (email,)
            ).fetchone()
            if row is None:
                result = VerifyResult("no_code", 0)
            elif row["burned"]:
                result = VerifyResult("too_many_attempts", 0)
            elif now >= row["expires_at"]:
                result = VerifyResult("expired", 0)
            else:
                candidate = _CODE_CHARS.sub("", code)
                left = max_attempts - row["attempts"]
                if not re.fullmatch(r"\d{6}", candidate):
                    # Not a code at all ("I didn't get it"): cannot be a guess, so no attempt is used.
                    result = VerifyResult("wrong", left)
                elif hmac.compare_digest(self._hash("otp", email, candidate), row["code_hash"]):
                    conn.execute("DELETE FROM one_time_codes WHERE email = ?", (email,))  # single use
                    if conversation_id:
                        conn.execute(
                            "INSERT OR REPLACE INTO verification_grants (conversation_id, email, expires_at) "
                            "VALUES (?, ?, ?)",
                            (conversation_id, email, now + self.settings.verification_grant_seconds),
                        )
                    result = VerifyResult("ok", left)
                elif left <= 1:
                    conn.execute(
                        "UPDATE one_time_codes SET attempts = attempts + 1, burned = 1 WHERE email = ?", (email,)
                    )
                    result = VerifyResult("too_many_attempts", 0)
                else:
                    conn.execute("UPDATE one_time_codes SET attempts = attempts + 1 WHERE email = ?", (email,))
                    result = VerifyResult("wrong", left - 1)
            self.audit.record(conn, "verify_code", email, result.status, f"attempts_left={result.attempts_left}")
        return result

    def has_grant(self, conversation_id: str, email: str) -> bool:
        with self._tx() as conn:
            row = conn.execute(
                "SELECT expires_at FROM verification_grants WHERE conversation_id = ? AND email = ?",
                (conversation_id, normalise_email(email)),
            ).fetchone()
        return row is not None and row["expires_at"] > self._now().timestamp()

    def lock(self, email: str, reason: str) -> None:
        """Lock sign-in (a person unlocks it): too many wrong codes for this address today."""
        email = normalise_email(email)
        with self._audited(email, "lock") as (conn, outcome):
            found = conn.execute("UPDATE customers SET locked = 1 WHERE email = ?", (email,)).rowcount
            conn.execute("DELETE FROM one_time_codes WHERE email = ?", (email,))
            outcome.append(f"locked: {reason}" if found else "unknown_email")

    def reset_link_base(self) -> str:
        return self.settings.password_reset_url or f"{self.settings.help_site_url.rstrip('/')}/reset"

    def send_reset_link(self, email: str) -> None:
        email = normalise_email(email)
        token = secrets.token_urlsafe(32)
        now = self._now().timestamp()
        ttl = self.settings.reset_token_ttl_seconds
        with self._tx() as conn:
            customer = self._customer(conn, email)
            if customer is not None:
                # Only the newest link works: an older mail lying around is no longer a way in.
                conn.execute("DELETE FROM reset_tokens WHERE email = ? AND used_at IS NULL", (email,))
                conn.execute(
                    "INSERT INTO reset_tokens (token_hash, email, expires_at) VALUES (?, ?, ?)",
                    (self._hash("reset", "", token), email, now + ttl),
                )
            self.audit.record(conn, "send_reset_link", email, "issued" if customer else "unknown_email")
        if customer is not None:
            link = f"{self.reset_link_base()}?token={token}"
            self._mail(
                "send_reset_link",
                email,
                "Reset your Nimbus password",
                f"Hello {customer.name},\n\n"
                f"Use this link to choose a new Nimbus password:\n\n{link}\n\n"
                f"The link is valid for {max(ttl // 60, 1)} minutes and works once. Passwords need at least "
                "10 characters. Resetting your password also unlocks your account if it was locked.\n\n"
                "If you did not ask for this, ignore this email; your password stays as it is.\n\n"
                "— Nimbus Support",
            )

    def redeem_reset_token(self, token: str) -> str | None:
        """For the reset page: the token's email if it is valid (it is then used up), else None.

        Redeeming also unlocks the account, as a reset link does (docs/nimbus-facts.md).
        """
        now = self._now().timestamp()
        token_hash = self._hash("reset", "", token.strip())
        with self._tx() as conn:
            row = conn.execute(
                "SELECT email, expires_at, used_at FROM reset_tokens WHERE token_hash = ?", (token_hash,)
            ).fetchone()
            if row is None:
                self.audit.record(conn, "redeem_reset_token", "-", "unknown_token")
                return None
            email = row["email"]
            if row["used_at"] is not None or now >= row["expires_at"]:
                self.audit.record(conn, "redeem_reset_token", email, "used" if row["used_at"] else "expired")
                return None
            conn.execute("UPDATE reset_tokens SET used_at = ? WHERE token_hash = ?", (now, token_hash))
            conn.execute("UPDATE customers SET locked = 0 WHERE email = ?", (email,))
            self.audit.record(conn, "redeem_reset_token", email, "ok")
        return email

    def unlock(self, email: str) -> None:
        email = normalise_email(email)
        with self._audited(email, "unlock") as (conn, outcome):
            customer = self._require_customer(conn, email)
            conn.execute("UPDATE customers SET locked = 0 WHERE email = ?", (email,))
            outcome.append("unlocked" if customer.locked else "not_locked")

    def request_two_factor_reset(self, email: str) -> str:
        email = normalise_email(email)
        with self._audited(email, "request_two_factor_reset") as (conn, outcome):
            customer = self._require_customer(conn, email)
            while True:
                reference = f"2FA-{secrets.randbelow(1_000_000):06d}"
                cur = conn.execute(
                    "INSERT OR IGNORE INTO two_factor_resets (reference, email, requested_at) VALUES (?, ?, ?)",
                    (reference, email, self._now().isoformat()),
                )
                if cur.rowcount:
                    break
            outcome.extend(["requested", f"reference={reference}; two_factor_enabled={customer.two_factor_enabled}"])
        return reference

    # --- licences ---------------------------------------------------------------------------

    def _license(self, conn: sqlite3.Connection, key: str) -> LicenseStatus:
        row = conn.execute("SELECT owner_email, seats_total FROM licenses WHERE key = ?", (key,)).fetchone()
        if row is None:
            return LicenseStatus(key, "invalid")
        devices = [r[0] for r in conn.execute("SELECT device_name FROM activations WHERE key = ? ORDER BY id", (key,))]
        total = row["seats_total"]
        status = "exhausted" if len(devices) >= total else "valid"
        return LicenseStatus(key, status, len(devices), total, devices, row["owner_email"])

    def license_check(self, key: str) -> LicenseStatus:
        if not is_valid_key_format(key):
            status = LicenseStatus(key.strip(), "invalid")
            subject = "malformed-key"  # whatever was typed is not logged: it may be anything
        else:
            status = None
            subject = normalise_key(key)
        with self._tx() as conn:
            if status is None:
                status = self._license(conn, subject)
            seats = f"seats={status.seats_used}/{status.seats_total}"
            self.audit.record(conn, "license_check", subject, status.status, seats)
        return status

    def activate_license(self, key: str, device_name: str) -> LicenseStatus:
        device = _device(device_name)
        key = normalise_key(key)
        with self._audited(key if is_valid_key_format(key) else "malformed-key", "activate_license") as (conn, outcome):
            outcome.append(f"device={device}")
            lic = self._license(conn, key)
            if lic.status == "invalid":
                raise LicenseError("That licence key is not valid. Please check it against your purchase email.")
            if any(d.lower() == device.lower() for d in lic.devices):
                outcome.insert(0, "already_active")
                return lic
            if lic.status == "exhausted":
                raise LicenseError(
                    f"All {lic.seats_total} activations of this key are in use ({', '.join(lic.devices)}). "
                    "Release one of them first."
                )
            conn.execute(
                "INSERT INTO activations (key, device_name, activated_at) VALUES (?, ?, ?)",
                (key, device, self._now().isoformat()),
            )
            outcome.insert(0, "activated")
            return self._license(conn, key)

    def release_seat(self, key: str, device_name: str) -> LicenseStatus:
        device = _device(device_name)
        key = normalise_key(key)
        with self._audited(key if is_valid_key_format(key) else "malformed-key", "release_seat") as (conn, outcome):
            outcome.append(f"device={device}")
            lic = self._license(conn, key)
            if lic.status == "invalid":
                raise LicenseError("That licence key is not valid. Please check it against your purchase email.")
            cur = conn.execute("DELETE FROM activations WHERE key = ? AND device_name = ?", (key, device))
            if not cur.rowcount:
                on_key = ", ".join(lic.devices) or "none"
                raise LicenseError(f"'{device}' is not activated with this key (activated: {on_key}).")
            outcome.insert(0, "released")
            return self._license(conn, key)

    # --- plans ------------------------------------------------------------------------------

    def _load_sub(self, conn: sqlite3.Connection, email: str) -> _Sub | None:
        row = conn.execute("SELECT * FROM subscriptions WHERE email = ?", (email,)).fetchone()
        if row is None:
            return None
        renews = dt.date.fromisoformat(row["renews_on"]) if row["renews_on"] else None
        return _Sub(
            row["email"], row["plan"], row["billing"], row["seats"], renews, bool(row["cancelled"]), row["pending_plan"]
        )

    def _save_sub(self, conn: sqlite3.Connection, sub: _Sub) -> None:
        conn.execute(
            "UPDATE subscriptions SET plan = ?, billing = ?, seats = ?, renews_on = ?, cancelled = ?, pending_plan = ? "
            "WHERE email = ?",
            (
                sub.plan,
                sub.billing,
                sub.seats,
                sub.renews_on.isoformat() if sub.renews_on else None,
                int(sub.cancelled),
                sub.pending_plan,
                sub.email,
            ),
        )

    def _roll_forward(self, conn: sqlite3.Connection, sub: _Sub) -> _Sub:
        """Apply period ends that have passed: renewals, scheduled downgrades, cancellations."""
        today = self._today()
        changed = False
        while sub.renews_on is not None and today >= sub.renews_on:
            changed = True
            if sub.cancelled or sub.pending_plan:
                new = sub.pending_plan or "free"
                self.audit.record(conn, "plan_period_end", sub.email, "changed", f"{sub.plan}->{new}")
                sub.plan, sub.cancelled, sub.pending_plan = new, False, None
                if new == "free":
                    sub.billing, sub.seats, sub.renews_on = None, 1, None
                    break
                if new == "plus":
                    sub.seats = 1
            else:
                self.audit.record(conn, "plan_period_end", sub.email, "renewed", sub.plan)
            sub.renews_on = add_months(sub.renews_on, 12 if sub.billing == "annual" else 1)
        if changed:
            self._save_sub(conn, sub)
        return sub

    def _plan_info(self, sub: _Sub) -> PlanInfo:
        price = Decimal("0.00")
        if sub.plan != "free":
            price = PRICE_PER_SEAT_MONTH[(sub.plan, sub.billing or "monthly")] * sub.seats
        if sub.cancelled:
            note = CANCEL_NOTE.format(date=sub.renews_on.isoformat() if sub.renews_on else "the end of the period")
        elif sub.pending_plan and sub.renews_on:
            note = (
                f"Changes to {sub.pending_plan.title()} on {sub.renews_on.isoformat()}; "
                f"{sub.plan.title()} features stay until then."
            )
        elif sub.renews_on:
            note = f"Renews on {sub.renews_on.isoformat()}."
        else:
            note = "Free plan: 5 GB storage on up to 2 devices."
        return PlanInfo(
            sub.email, sub.plan, sub.billing, sub.seats, price, sub.renews_on, sub.cancelled, sub.pending_plan, note
        )

    def _current_sub(self, conn: sqlite3.Connection, email: str) -> _Sub:
        sub = self._load_sub(conn, email)
        if sub is None:
            raise UnknownAccount("I couldn't find a Nimbus account with that email address.")
        return self._roll_forward(conn, sub)

    def get_plan(self, email: str) -> PlanInfo:
        email = normalise_email(email)
        with self._tx() as conn:
            return self._plan_info(self._current_sub(conn, email))

    def change_plan(self, email: str, plan: str) -> PlanInfo:
        email = normalise_email(email)
        plan = plan.strip().lower()
        with self._audited(email, "change_plan") as (conn, outcome):
            if plan not in PLANS:
                raise PlanChangeError(f"There is no '{plan}' plan; Nimbus has Free, Plus and Business.")
            sub = self._current_sub(conn, email)
            if plan == "free" and sub.plan != "free":
                # A downgrade to Free is a cancellation: paid features until the period ends.
                sub.cancelled, sub.pending_plan = True, "free"
                outcome.extend(["downgrade_scheduled", f"{sub.plan}->free on {sub.renews_on}"])
            elif plan == sub.plan:
                withdrawn = sub.cancelled or sub.pending_plan is not None
                sub.cancelled, sub.pending_plan = False, None
                outcome.extend(["resumed" if withdrawn else "unchanged", plan])
            elif plan_rank(plan) > plan_rank(sub.plan):
                # Upgrades take effect at once with a pro-rated charge (billing is not simulated).
                if sub.plan == "free":
                    sub.billing, sub.seats, sub.renews_on = "monthly", 1, add_months(self._today(), 1)
                outcome.extend(["upgraded", f"{sub.plan}->{plan}; pro-rated charge"])
                sub.plan, sub.cancelled, sub.pending_plan = plan, False, None
            else:
                sub.cancelled, sub.pending_plan = False, plan
                outcome.extend(["downgrade_scheduled", f"{sub.plan}->{plan} on {sub.renews_on}"])
            self._save_sub(conn, sub)
            return self._plan_info(sub)

    def cancel_subscription(self, email: str) -> PlanInfo:
        email = normalise_email(email)
        with self._audited(email, "cancel_subscription") as (conn, outcome):
            sub = self._current_sub(conn, email)
            if sub.plan == "free":
                raise PlanChangeError("You're on the Free plan, so there is no subscription to cancel.")
            outcome.extend(["already_cancelled" if sub.cancelled else "cancelled", f"active until {sub.renews_on}"])
            sub.cancelled, sub.pending_plan = True, "free"
            self._save_sub(conn, sub)
            return self._plan_info(sub)

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


def _device(name: str) -> str:
    device = " ".join(name.split())[:_DEVICE_MAX]
    if not device:
        raise LicenseError("Please tell me the name of the computer.")
    return device
