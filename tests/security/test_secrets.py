"""No secret is built in: no known default token in the product's files, the services refuse to
start with an empty or known one, and no secret is on a command line (`ps` shows those to every
user of the machine)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest

from common.secrets import KNOWN
from harness.stack import APP_PY, RASA_PY, ROOT

# Files that name the known defaults in order to refuse them.
DENY_LISTS = {"common/secrets.py"}


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [f for f in listed.splitlines() if not f.startswith("tests/") and f not in DENY_LISTS]


def test_no_known_default_token_in_the_product() -> None:
    found = []
    for name in tracked_files():
        path = ROOT / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_text(errors="ignore")
        found += [(name, token) for token in KNOWN if "-" in token and token in text]
    assert "dev-bot-token" in KNOWN
    assert not found, found


SERVICES = {
    "action server": (
        [str(APP_PY), "-m", "bot.actions.server"],
        ["ACTION_SERVER_TOKEN", "HANDOFF_BOT_TOKEN", "SLOT_SEAL_SECRET"],
    ),
    "handoff API": (
        [str(APP_PY), "-c", "from handoff_api.main import create_app; create_app()"],
        ["HANDOFF_BOT_TOKEN"],
    ),
    "rasa": ([str(RASA_PY), "-m", "bot.rasa_launcher", "run", "--help"], ["ACTION_SERVER_TOKEN", "RASA_API_TOKEN"]),
}


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("value", ["", "dev-bot-token", "short"], ids=["empty", "known default", "too short"])
def test_a_service_refuses_to_start_with_a_weak_secret(tmp_path, service: str, value: str) -> None:
    command, names = SERVICES[service]
    strong = {name: os.urandom(24).hex() for name in names}
    for weak in names:
        env = {k: v for k, v in os.environ.items() if not k.endswith(("_TOKEN", "_SECRET"))}
        env |= strong | {weak: value, "PYTHONPATH": str(ROOT), "ACTION_PORT": "0"}
        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode != 0, f"{service} started with {weak}={value!r}"
        assert weak in done.stderr, done.stderr[-2000:]


def process_tree(pid: int) -> list[int]:
    """`pid` and every process below it."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").iterdir():
            todo += [int(child) for child in (task / "children").read_text().split()]
    return found


@pytest.mark.e2e
def test_the_rasa_api_token_is_on_no_command_line_and_still_guards_the_api(stack) -> None:
    token = stack.env["RASA_API_TOKEN"]
    for name, process in stack.processes.items():
        for pid in process_tree(process.pid):
            command_line = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            assert token not in command_line, f"the token is on the command line of {name} (pid {pid})"
    assert "bot.rasa_launcher" in Path(f"/proc/{stack.processes['rasa'].pid}/cmdline").read_text()
    # Rasa has it all the same: its HTTP API answers only with it.
    assert httpx.get(f"{stack.rasa_url}/status", timeout=30).status_code == 401
    assert httpx.get(f"{stack.rasa_url}/status", params={"token": "not-" + token}, timeout=30).status_code == 401
    assert httpx.get(f"{stack.rasa_url}/status", params={"token": token}, timeout=30).status_code == 200
