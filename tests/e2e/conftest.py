"""One running stack for the end-to-end tests of a session."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from contextlib import closing
from pathlib import Path

import pytest

from harness.stack import APP_PY, ROOT

ARTIFACTS: Path = ROOT / "test-artifacts"


def create_staff(stack, email: str, name: str, password: str) -> None:
    """A staff account in the stack's handoff database, made with the service's own command as an
    administrator would; an account made earlier in the same stack is kept."""
    done = subprocess.run(
        [str(APP_PY), "-m", "handoff_api.cli", "create-staff", "--email", email, "--name", name, "--password-stdin"],
        input=password + "\n",
        text=True,
        cwd=stack.workdir,
        env=stack.env,
        capture_output=True,
    )
    assert done.returncode == 0 or f"{email} exists" in done.stderr, done.stderr


def user_turns(stack, conversation_id: str, expected: int, timeout: float = 15) -> list[str]:
    """The customer's messages of one conversation in Rasa's tracker store. Over socket.io the
    replies reach the browser before Rasa has saved the turn, so this waits for `expected`."""
    deadline = time.monotonic() + timeout
    while True:
        with closing(sqlite3.connect(stack.workdir / "tracker.db")) as db:
            rows = db.execute(
                "select data from events where sender_id = ? and type_name = 'user' order by id", (conversation_id,)
            ).fetchall()
        said = [json.loads(row[0])["text"] for row in rows]
        if len(said) >= expected or time.monotonic() > deadline:
            return said
        time.sleep(0.2)


def sign_in_as_staff(page, stack, email: str, name: str, password: str) -> None:
    """A staff account (made as an administrator would, kept if it exists), signed in in `page`."""
    create_staff(stack, email, name, password)
    page.goto(f"{stack.handoff_url}/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def screenshot(page, name: str) -> None:
    """A screenshot kept as a test artifact (besides the one the `page` fixture takes at the end)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright; never a downloaded browser. Per module: Playwright's
    sync API keeps an event loop running in the main thread while it is open, which would break
    the asyncio tests that run after the browser tests."""
    import os

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context()
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not errors, f"script errors on the page: {errors}"
