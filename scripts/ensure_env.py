"""Create .env from .env.example on first run, with a fresh random bot token and staff session secret."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path


def main() -> int:
    env, example = Path(".env"), Path(".env.example")
    if env.exists():
        return 0
    text = (
        example.read_text(encoding="utf-8")
        .replace("HANDOFF_BOT_TOKEN=change-me", f"HANDOFF_BOT_TOKEN={secrets.token_urlsafe(32)}")
        # A fixed secret keeps staff signed in across restarts of the handoff service.
        .replace("\nSTAFF_SESSION_SECRET=\n", f"\nSTAFF_SESSION_SECRET={secrets.token_urlsafe(32)}\n")
    )
    env.write_text(text, encoding="utf-8")
    print("==> created .env from .env.example (edit it to change ports and storage)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
