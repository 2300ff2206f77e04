"""Create .env from .env.example on first run, with a fresh random bot token, staff session secret
and Rasa API token; give an older .env the Rasa API token it lacks."""

from __future__ import annotations

import re
import secrets
import sys
from pathlib import Path

# Rasa's HTTP API (`make reload` replaces the model through it) must never run without a token:
# Rasa 3.6 treats an empty --auth-token as the valid token "" (`?token=` would pass).
RASA_TOKEN_LINE = re.compile(r"^RASA_API_TOKEN=(.*)$", re.MULTILINE)


def main() -> int:
    env, example = Path(".env"), Path(".env.example")
    if env.exists():
        return add_rasa_token(env)
    text = (
        example.read_text(encoding="utf-8")
        .replace("HANDOFF_BOT_TOKEN=change-me", f"HANDOFF_BOT_TOKEN={secrets.token_urlsafe(32)}")
        # A fixed secret keeps staff signed in across restarts of the handoff service.
        .replace("\nSTAFF_SESSION_SECRET=\n", f"\nSTAFF_SESSION_SECRET={secrets.token_urlsafe(32)}\n")
        .replace("\nRASA_API_TOKEN=\n", f"\nRASA_API_TOKEN={secrets.token_urlsafe(32)}\n")
    )
    env.write_text(text, encoding="utf-8")
    print("==> created .env from .env.example (edit it to change ports and storage)")
    return 0


def add_rasa_token(env: Path) -> int:
    """A .env made before `make reload` existed has no RASA_API_TOKEN (or an empty one)."""
    text = env.read_text(encoding="utf-8")
    found = RASA_TOKEN_LINE.search(text)
    if found and found.group(1).strip().strip("\"'"):
        return 0
    line = f"RASA_API_TOKEN={secrets.token_urlsafe(32)}"
    if found:
        text = RASA_TOKEN_LINE.sub(line, text, count=1)
    else:
        note = "# Token of Rasa's HTTP API (make reload replaces the model through it); added by make setup.\n"
        text = text + ("" if text.endswith("\n") or not text else "\n") + note + line + "\n"
    env.write_text(text, encoding="utf-8")
    print("==> added RASA_API_TOKEN to .env (restart `make run` so that Rasa uses it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
