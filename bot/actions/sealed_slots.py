"""Secret slot values the action server needs again in a later turn (a licence key, from the
question until the seat is moved) travel through Rasa sealed: Fernet-encrypted under
SLOT_SEAL_SECRET, which only the action server holds. The tracker store, tickets, the review inbox
and exports see ciphertext or a mask, never the key."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken

from bot.actions.settings import get_settings
from common.redaction import SEALED_PREFIX

# A sealed value older than this is worth nothing: the customer types the key again.
SEAL_TTL_SECONDS = 24 * 3600


@lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    if not secret:
        raise RuntimeError("SLOT_SEAL_SECRET is empty: make setup writes one into .env")
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"tier0 sealed slot\x00" + secret.encode()).digest()))


def seal(value: str) -> str:
    return SEALED_PREFIX + _fernet(get_settings().slot_seal_secret).encrypt(value.encode()).decode()


def unseal(value: object) -> object:
    """The plain value of a sealed one (None when it was tampered with or is too old); any other
    value as it is (masks and markers such as "[no key]")."""
    if not isinstance(value, str) or not value.startswith(SEALED_PREFIX):
        return value
    try:
        token = value.removeprefix(SEALED_PREFIX).encode()
        return _fernet(get_settings().slot_seal_secret).decrypt(token, ttl=SEAL_TTL_SECONDS).decode()
    except InvalidToken:
        return None
