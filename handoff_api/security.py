"""Staff passwords (argon2 via pwdlib) and CSRF tokens."""

from __future__ import annotations

import secrets
from functools import lru_cache

from pwdlib import PasswordHash

MIN_PASSWORD_LENGTH = 10


@lru_cache(maxsize=1)
def hasher() -> PasswordHash:
    # pwdlib's recommendation: argon2id with argon2-cffi's default cost parameters.
    return PasswordHash.recommended()


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a staff password needs at least {MIN_PASSWORD_LENGTH} characters")
    return hasher().hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Constant work whether or not the user exists: an unknown email is checked against a dummy
    hash, so response times do not tell which staff emails exist."""
    if password_hash is None:
        hasher().verify(password, _dummy_hash())
        return False
    return hasher().verify(password, password_hash)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hasher().hash(secrets.token_urlsafe(16))


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def same_token(given: str | None, expected: str | None) -> bool:
    return bool(given and expected) and secrets.compare_digest(given.encode(), expected.encode())  # type: ignore[union-attr]
