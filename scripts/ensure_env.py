"""Create .env from .env.example on first run, with fresh random secrets; give an older .env the
secrets it lacks (or holds only a known default of), and replace an old unsafe default by the new
one. The file is readable by its owner only.

Two kinds of reader take .env: bash (`make run` sources it through scripts/stack_env.sh, the
Makefile with `set -a; . ./.env`) and python-dotenv (pydantic-settings, for every service's
settings). So every value is written quoted, in a form both read back as exactly that value; a
file from an older set-up with unquoted values (`SUPPORT_TEAM_NAME=Nimbus support`, which bash
runs as the command `support`) is rewritten so, keeping the values the services read."""

from __future__ import annotations

import io
import os
import secrets
import sys
from pathlib import Path

from dotenv import dotenv_values
from dotenv.parser import parse_stream

from common.secrets import KNOWN, MIN_LENGTH

# Every secret the services share or keep; none of them may run with an empty or known one.
SECRETS = ("HANDOFF_BOT_TOKEN", "ACTION_SERVER_TOKEN", "RASA_API_TOKEN", "STAFF_SESSION_SECRET", "SLOT_SEAL_SECRET")

# Settings whose old default is unsafe or gone: the old value is replaced by the new default, once.
OLD_DEFAULTS = {
    "RASA_CORS_ORIGINS": ("*", ""),  # every site -> the help site's origin
    "ACCOUNT_BACKEND": ("bot.actions.accounts.demo.DemoAccountBackend", "accounts.demo.DemoAccountBackend"),
}


class UnwritableValue(ValueError):
    """A value that bash and python-dotenv cannot both read back from one .env line."""


def _dotenv_reads(quoted: str) -> str | None:
    return dotenv_values(stream=io.StringIO(f"X={quoted}\n"), interpolate=False).get("X")


def shell_quoted(value: str) -> str:
    """`value` as it goes after `NAME=` in .env: bash and python-dotenv both read back `value`.

    In single quotes where both do: bash takes everything up to the next quote as it is, but
    python-dotenv reads a backslash there as escaping a following backslash or quote. Else in
    double quotes with backslash and double quote escaped, as both read them; that cannot hold $
    or a backtick (bash expands them in double quotes, python-dotenv keeps a backslash before $)."""
    if any(c in value for c in "\n\r\0"):
        raise UnwritableValue("it holds a line break or NUL, which a .env line cannot")
    if "${" in value:
        # python-dotenv expands ${NAME} whatever the quotes; bash does not in single quotes.
        raise UnwritableValue("python-dotenv would expand the ${...} in it")
    single = f"'{value}'"
    if "'" not in value and _dotenv_reads(single) == value:
        return single
    double = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if "$" not in value and "`" not in value and _dotenv_reads(double) == value:
        return double
    raise UnwritableValue("it has both a ' or \\ and a $ or `, which bash and python-dotenv read differently")


def fresh_secret() -> str:
    """A random URL-safe secret that does not start with "-" (command lines would take it for an option)."""
    while (value := secrets.token_urlsafe(32)).startswith("-"):
        pass
    return value


def weak(value: str) -> bool:
    return not value.strip() or value.strip().lower() in KNOWN or len(value.strip()) < MIN_LENGTH


class EnvFile:
    """The lines of a .env as python-dotenv reads them: comments and blank lines kept as they are,
    each `NAME=value` as its name and value."""

    def __init__(self, text: str) -> None:
        self.lines: list[tuple[str | None, str]] = []  # (name, value), or (None, the line itself)
        for binding in parse_stream(io.StringIO(text)):
            if binding.error:
                raise UnwritableValue(f"line {binding.original.line} is not NAME=value: {binding.original.string!r}")
            if binding.key is None or binding.value is None:
                self.lines.append((None, binding.original.string))
            else:
                self.lines.append((binding.key, binding.value))

    # A name set twice: both readers take the last.
    def get(self, name: str) -> str | None:
        return next((value for key, value in reversed(self.lines) if key == name), None)

    def set(self, name: str, value: str) -> None:
        for i in reversed(range(len(self.lines))):
            if self.lines[i][0] == name:
                self.lines[i] = (name, value)
                return
        if self.lines and not self.lines[-1][1].endswith("\n") and self.lines[-1][0] is None:
            self.lines[-1] = (None, self.lines[-1][1] + "\n")
        self.lines.append((name, value))

    def text(self) -> str:
        out = []
        for key, value in self.lines:
            if key is None:
                out.append(value)
                continue
            try:
                out.append(f"{key}={shell_quoted(value)}\n")
            except UnwritableValue as exc:
                raise UnwritableValue(f"{key}: {exc}; change it in .env") from None
        return "".join(out)


def add_secrets(env: EnvFile) -> list[str]:
    """A random value for every secret that is missing, empty or weak; returns their names."""
    added = []
    for name in SECRETS:
        value = env.get(name)
        if value is None or weak(value):
            env.set(name, fresh_secret())
            added.append(name)
    return added


def replace_old_defaults(env: EnvFile) -> list[str]:
    changed = []
    for name, (old, new) in OLD_DEFAULTS.items():
        if env.get(name) == old:
            env.set(name, new)
            changed.append(name)
    return changed


def main() -> int:
    path, example = Path(".env"), Path(".env.example")
    first = not path.exists()
    before = example.read_text(encoding="utf-8") if first else path.read_text(encoding="utf-8")
    try:
        env = EnvFile(before)
        added = add_secrets(env)
        updated = replace_old_defaults(env)
        after = env.text()
    except UnwritableValue as exc:
        print(f"==> cannot write .env: {exc}", file=sys.stderr)
        return 1
    if first or after != before:
        path.write_text(after, encoding="utf-8")
    os.chmod(path, 0o600)
    if first:
        print("==> created .env from .env.example with random secrets (edit it to change ports and storage)")
    elif added:
        print(f"==> added {', '.join(added)} to .env (restart `make run` so that the services use them)")
    if updated:
        print(f"==> {', '.join(updated)} in .env had an old default: now the new default (.env.example)")
    if not first and not added and not updated and after != before:
        print("==> .env: every value is now quoted, so that bash reads what the services read")
    return 0


if __name__ == "__main__":
    sys.exit(main())
