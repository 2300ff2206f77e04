"""Create .env from .env.example on first run, with fresh random secrets; give an older .env the
secrets it lacks (or holds only a known default of), and replace an old unsafe default by the new
one. The file is readable by its owner only."""

from __future__ import annotations

import os
import re
import secrets
import sys
from pathlib import Path

from common.secrets import KNOWN, MIN_LENGTH

# Every secret the services share or keep; none of them may run with an empty or known one.
SECRETS = ("HANDOFF_BOT_TOKEN", "ACTION_SERVER_TOKEN", "RASA_API_TOKEN", "STAFF_SESSION_SECRET", "SLOT_SEAL_SECRET")


def weak(value: str) -> bool:
    value = value.strip().strip("\"'")
    return not value or value.lower() in KNOWN or len(value) < MIN_LENGTH


def fresh_secret() -> str:
    """A random URL-safe secret that does not start with "-" (command lines would take it for an option)."""
    while (value := secrets.token_urlsafe(32)).startswith("-"):
        pass
    return value


def with_secrets(text: str) -> tuple[str, list[str]]:
    """`text` with a random value for every secret that is missing, empty or weak; and their names."""
    added = []
    for name in SECRETS:
        line = re.compile(rf"^{name}=(.*)$", re.MULTILINE)
        found = line.search(text)
        if found and not weak(found.group(1)):
            continue
        new = f"{name}={fresh_secret()}"
        if found:
            text = line.sub(new, text, count=1)
        else:
            text = text + ("" if text.endswith("\n") or not text else "\n") + new + "\n"
        added.append(name)
    return text, added


# Settings whose old default is unsafe or gone: the old value is replaced by the new default, once.
OLD_DEFAULTS = {
    "RASA_CORS_ORIGINS": ("*", ""),  # every site -> the help site's origin
    "ACCOUNT_BACKEND": ("bot.actions.accounts.demo.DemoAccountBackend", "accounts.demo.DemoAccountBackend"),
}


def without_old_defaults(text: str) -> tuple[str, list[str]]:
    changed = []
    for name, (old, new) in OLD_DEFAULTS.items():
        line = re.compile(rf"^{name}={re.escape(old)}[ \t]*$", re.MULTILINE)
        if line.search(text):
            text = line.sub(f"{name}={new}", text, count=1)
            changed.append(name)
    return text, changed


def main() -> int:
    env, example = Path(".env"), Path(".env.example")
    first = not env.exists()
    text = example.read_text(encoding="utf-8") if first else env.read_text(encoding="utf-8")
    text, added = with_secrets(text)
    text, updated = without_old_defaults(text)
    if added or updated or first:
        env.write_text(text, encoding="utf-8")
    os.chmod(env, 0o600)
    if first:
        print("==> created .env from .env.example with random secrets (edit it to change ports and storage)")
    elif added:
        print(f"==> added {', '.join(added)} to .env (restart `make run` so that the services use them)")
    if updated:
        print(f"==> {', '.join(updated)} in .env had an old default: now the new default (.env.example)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
