"""The account backend interface the dialogue actions call, and the values it returns.

Everything here is plain data and pure functions, so a replacement backend (a real identity and
billing API) only has to implement `AccountBackend`; see the package docstring for the contract.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, Protocol, runtime_checkable

VerifyStatus = Literal["ok", "wrong", "expired", "too_many_attempts", "no_code"]
LicenseState = Literal["valid", "exhausted", "invalid"]
PlanName = Literal["free", "plus", "business"]
Billing = Literal["monthly", "annual"]

PLANS: tuple[str, ...] = ("free", "plus", "business")  # cheapest first: order decides up/downgrade
# What cancelling means for the customer's data (docs/nimbus-facts.md, "Plans").
CANCEL_NOTE = (
    "Paid features stay until {date}; then the account becomes Free. Files over 5 GB stay readable, "
    "but sync pauses until storage is under the limit."
)
# Nimbus licence keys are 4 groups of 5 letters/digits; the letters O and I are never issued.
_KEY_RE = re.compile(r"^[A-Z0-9]{5}(?:-[A-Z0-9]{5}){3}$")
_KEY_SEPARATORS = re.compile(r"[\s\-_]+")
_KEY_LOOKALIKES = str.maketrans({"O": "0", "I": "1"})


class AccountError(Exception):
    """A request the backend cannot carry out; the message is fit to show to the customer."""


class UnknownAccount(AccountError):
    """No customer with that email (raised only after verification, where it reveals nothing)."""


class LicenseError(AccountError):
    """A licence operation that cannot be done: invalid key, no free seat, device not on the key."""


class PlanChangeError(AccountError):
    """A plan change that makes no sense, e.g. an unknown plan or cancelling the Free plan."""


class MailError(AccountError):
    """The mail could not be handed to the SMTP server (or written to the outbox)."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


class _AsDict:
    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form (dates as ISO strings, money as strings) for slots and tickets."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}


@dataclass(frozen=True)
class Customer(_AsDict):
    email: str
    name: str
    plan: str
    two_factor_enabled: bool
    locked: bool


@dataclass(frozen=True)
class VerifyResult(_AsDict):
    status: VerifyStatus
    attempts_left: int

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class LicenseStatus(_AsDict):
    key: str  # normalised; the input as typed when it is not even well-formed
    status: LicenseState
    seats_used: int = 0
    seats_total: int = 0
    devices: list[str] = field(default_factory=list)  # activated device names, oldest first
    owner_email: str | None = None

    @property
    def seats_free(self) -> int:
        return max(self.seats_total - self.seats_used, 0)


@dataclass(frozen=True)
class PlanInfo(_AsDict):
    email: str
    plan: str
    billing: str | None  # "monthly" / "annual"; None on Free
    seats: int
    price_per_month: Decimal  # USD for all seats, taxes extra (annual plans: the yearly price / 12)
    renews_on: dt.date | None  # end of the paid period; None on Free
    cancelled: bool = False  # no renewal: becomes Free on renews_on
    pending_plan: str | None = None  # plan that starts on renews_on (downgrade or "free" after cancel)
    note: str = field(default="", compare=False)  # what happens next, in the customer's words


@runtime_checkable
class AccountBackend(Protocol):
    """What the dialogue actions need from identity, licensing and billing.

    Calls are blocking (database, SMTP); async actions run them with `asyncio.to_thread`.
    Emails are compared case-insensitively; licence keys go through `normalise_key`.
    Every state change and every verification attempt is written to the audit log.
    """

    def lookup_customer(self, email: str) -> Customer | None:
        """The customer with that email, or None."""
        ...

    def send_code(self, email: str) -> None:
        """Mail a fresh 6-digit one-time code to the address on file (replacing any earlier code).

        An unknown email gets no mail and no error, so callers cannot reveal whether an account exists.
        """
        ...

    def verify_code(self, email: str, code: str, conversation_id: str | None = None) -> VerifyResult:
        """Check a code; `otp_max_attempts` wrong tries burn it ("too_many_attempts" until a new send).
        A correct code grants account actions to `conversation_id` for that email (`has_grant`)."""
        ...

    def has_grant(self, conversation_id: str, email: str) -> bool:
        """Whether a correct code was given for `email` in this conversation and has not expired:
        every account action checks this, not the conversation's slots (which a caller could forge)."""
        ...

    def lock(self, email: str, reason: str) -> None:
        """Lock sign-in for the address (too many wrong codes); silently nothing if unknown."""
        ...

    def send_reset_link(self, email: str) -> None:
        """Mail a single-use password reset link valid for 60 minutes (silently nothing if unknown)."""
        ...

    def unlock(self, email: str) -> None:
        """Clear a sign-in lockout. Raises UnknownAccount."""
        ...

    def request_two_factor_reset(self, email: str) -> str:
        """Open a 2FA recovery request that a person completes; returns its reference."""
        ...

    def license_check(self, key: str) -> LicenseStatus:
        """Status of a licence key; anything not issued (or malformed) is "invalid"."""
        ...

    def activate_license(self, key: str, device_name: str) -> LicenseStatus:
        """Take a seat for the device (no-op if it already has one). Raises LicenseError."""
        ...

    def release_seat(self, key: str, device_name: str) -> LicenseStatus:
        """Free the device's seat. Raises LicenseError if the device is not on the key."""
        ...

    def get_plan(self, email: str) -> PlanInfo:
        """Current subscription. Raises UnknownAccount."""
        ...

    def change_plan(self, email: str, plan: str) -> PlanInfo:
        """Upgrades apply at once (pro-rated); downgrades at the end of the period. Raises PlanChangeError."""
        ...

    def cancel_subscription(self, email: str) -> PlanInfo:
        """Stop renewal: paid features until the period ends, then Free. Raises PlanChangeError on Free."""
        ...


def normalise_email(email: str) -> str:
    return email.strip().lower()


def normalise_key(key: str) -> str:
    """Upper case, groups joined by "-"; O and I become 0 and 1 because keys never contain O or I.

    Spaces or underscores between groups and a key typed without separators are accepted too.
    """
    compact = _KEY_SEPARATORS.sub("", key.strip().upper()).translate(_KEY_LOOKALIKES)
    if len(compact) == 20 and compact.isalnum() and compact.isascii():
        return "-".join(compact[i : i + 5] for i in range(0, 20, 5))
    return key.strip().upper()


def is_valid_key_format(key: str) -> bool:
    """True for XXXXX-XXXXX-XXXXX-XXXXX (letters and digits, any case) after `normalise_key`."""
    return bool(_KEY_RE.match(normalise_key(key)))


def plan_rank(plan: str) -> int:
    return PLANS.index(plan)
