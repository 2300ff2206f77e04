"""The account backend the dialogue actions call: identity, one-time codes, licences, plans.

`get_backend()` returns one process-wide instance of the class named by the `ACCOUNT_BACKEND`
setting (default `accounts.demo.DemoAccountBackend`, SQLite with seeded demo
customers; see "Demo accounts" in docs/nimbus-facts.md).

Plugging in a real identity/billing API
---------------------------------------
Write a class that implements `accounts.backend.AccountBackend` and set
`ACCOUNT_BACKEND=your.module.YourBackend`. It must:

- take the `AccountSettings` as its only positional constructor argument (add your own settings,
  e.g. an API URL and token, to `AccountSettings` and `.env.example`);
- implement every method of `AccountBackend` with the same signatures and return the dataclasses
  of `backend.py` (`Customer`, `VerifyResult`, `LicenseStatus`, `PlanInfo`);
- keep the security rules the dialogue relies on:
  * `send_code` and `send_reset_link` behave identically for unknown emails (no mail, no error),
    and `verify_code` must not reveal it either;
  * codes are 6 digits from `secrets`, stored only as a keyed hash, expire after
    `otp_ttl_seconds`, are single use and burn after `otp_max_attempts` wrong tries; a new
    `send_code` replaces the previous code;
  * reset links are random, single use and valid for `reset_token_ttl_seconds`;
- raise `AccountError` subclasses (`UnknownAccount`, `LicenseError`, `PlanChangeError`,
  `MailError`) with a message fit to show to the customer for requests it refuses;
- audit every state change and every verification attempt (time, action, email or key, outcome,
  detail), never writing a code, token or password; `audit.AuditLog` can be reused.

The calls are blocking; async actions call them through `asyncio.to_thread`. Mail can be sent
with `mail.Mailer` (SMTP when `SMTP_HOST` is set, else .eml files in `MAIL_OUTBOX_DIR`).
"""

from __future__ import annotations

import asyncio
import importlib
import threading

from accounts.backend import (
    AccountBackend,
    AccountError,
    Customer,
    LicenseError,
    LicenseStatus,
    MailError,
    PlanChangeError,
    PlanInfo,
    UnknownAccount,
    VerifyResult,
    is_valid_key_format,
    normalise_key,
)
from accounts.settings import AccountSettings, get_settings

__all__ = [
    "AccountBackend",
    "AccountError",
    "Customer",
    "LicenseError",
    "LicenseStatus",
    "MailError",
    "PlanChangeError",
    "PlanInfo",
    "UnknownAccount",
    "VerifyResult",
    "get_backend",
    "is_valid_key_format",
    "load_backend",
    "normalise_key",
    "reset_backend",
]

_backend: AccountBackend | None = None
_lock = threading.Lock()


def load_backend(settings: AccountSettings) -> AccountBackend:
    """A new instance of the class named by `settings.account_backend` ("package.module.Class")."""
    module_name, _, class_name = settings.account_backend.rpartition(".")
    if not module_name:
        raise ValueError(f"ACCOUNT_BACKEND must be a dotted path module.Class, got {settings.account_backend!r}")
    cls = getattr(importlib.import_module(module_name), class_name)
    backend = cls(settings)
    # Fail at start-up, not mid-conversation, when a replacement misses a method.
    if not isinstance(backend, AccountBackend):
        missing = [m for m in _METHODS if not callable(getattr(backend, m, None))]
        raise TypeError(f"{settings.account_backend} does not implement AccountBackend (missing: {missing})")
    return backend


def get_backend() -> AccountBackend:
    """The process-wide backend, created on first use from the settings."""
    global _backend
    if _backend is None:
        with _lock:
            if _backend is None:
                _backend = load_backend(get_settings())
    return _backend


def reset_backend(backend: AccountBackend | None = None) -> None:
    """Replace (tests: inject) or drop the process-wide instance."""
    global _backend
    with _lock:
        _backend = backend


_METHODS = [
    name for name in vars(AccountBackend) if not name.startswith("_") and callable(getattr(AccountBackend, name))
]


class AsyncBackend:
    """The backend for async actions: its blocking calls (SQLite, SMTP) run in a worker thread so a
    slow mail server never stalls the action server's event loop."""

    def __init__(self, backend: AccountBackend) -> None:
        self._backend = backend

    def __getattr__(self, name: str):  # noqa: ANN204
        method = getattr(self._backend, name)

        async def call(*args, **kwargs):  # noqa: ANN202
            return await asyncio.to_thread(method, *args, **kwargs)

        return call


def async_backend() -> AsyncBackend:
    return AsyncBackend(get_backend())
