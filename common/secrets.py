"""Shared secrets between the processes (the bot's token for the handoff API, Rasa's token for the
action server, Rasa's HTTP API token, the staff session key): never empty, never a value anyone
can read in the source, long enough not to be guessed. `make setup` writes random ones into .env."""

from __future__ import annotations

import hmac

MIN_LENGTH = 24
# Values that were once defaults or examples: whoever read the code knows them.
KNOWN = frozenset(
    {"dev-bot-token", "change-me", "changeme", "secret", "password", "test-bot-token", "test-rasa-token", "token"}
)


class WeakSecretError(ValueError):
    """A secret setting is empty, known or short; the message names the setting and the fix."""


def require_secret(name: str, value: str) -> str:
    """`value` if it can serve as the secret `name` (an environment variable), else WeakSecretError."""
    if not value:
        raise WeakSecretError(f"{name} is empty: run `make setup` (it writes a random one into .env) or set it")
    if value.lower() in KNOWN:
        raise WeakSecretError(f"{name} is a known default ({value!r}): set a random one (`make setup` does)")
    if len(value) < MIN_LENGTH:
        raise WeakSecretError(f"{name} is shorter than {MIN_LENGTH} characters: set a random one (`make setup` does)")
    return value


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison (a timing difference must not tell how much of a guess was right)."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())
