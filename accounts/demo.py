"""The demo account backend: customers, one-time codes, licences and plans in one SQLite file.

Tables are created and seeded on first use (seed rows are inserted only when missing, so a restart
never undoes what a tester changed; delete the file, or `make clean`, to start over). The seed
data is listed in docs/nimbus-facts.md under "Demo accounts".

Every call is one short `BEGIN IMMEDIATE` transaction on its own connection (WAL mode, busy
timeout), which is safe from the action server's threads and from several processes. Mail goes
out after the transaction commits, so a slow SMTP server never holds the database lock.
"""

from __future__ import annotations

import hmac
import re
import secrets

from accounts.backend import (
    Customer,
    VerifyResult,
    normalise_email,
)
from accounts.demo_licenses import LicenseMixin
from accounts.demo_plans import PlanMixin

_CODE_CHARS = re.compile(r"[\s\-]")  # "123 456" and "123-456" are the same code


class DemoAccountBackend(LicenseMixin, PlanMixin):
    """`AccountBackend` on SQLite: identity here (codes, grants, reset links, unlock, 2FA), licences
    in demo_licenses.py, plans in demo_plans.py, the plumbing in demo_store.py."""

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
