"""Fixtures for the handoff API tests: the same tests on SQLite and on PostgreSQL.

Every test gets its own database: a fresh SQLite file, or a fresh PostgreSQL schema in the `test`
database (127.0.0.1:5432, user postgres, trust auth) that is dropped afterwards. When PostgreSQL
cannot be reached its tests are skipped with the reason. The API is exercised over HTTP: FastAPI's
TestClient (the real app, in process) or a real uvicorn process (`live_server`). Raw rows are read
with sqlite3 / psycopg directly, not through our code.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
import secrets
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from handoff_api.main import create_app
from handoff_api.settings import Settings
from insights.settings import InsightsSettings
from tests.services import PG_SERVER, postgresql_unreachable, service_unreachable

ROOT = Path(__file__).resolve().parents[2]
TOKEN = secrets.token_urlsafe(24)
SESSION_SECRET = secrets.token_urlsafe(24)
BOT = {"Authorization": f"Bearer {TOKEN}"}
STAFF_EMAIL, STAFF_NAME, STAFF_PASSWORD = "agent@nimbus.example", "Avery Agent", "correct horse battery"
# A Tuesday, 10:00 in Berlin (UTC+1 in November): inside business hours.
TUESDAY_10_BERLIN = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.timezone.utc)


def basic(email: str = STAFF_EMAIL, password: str = STAFF_PASSWORD) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{email}:{password}".encode()).decode()}


@dataclass
class TestDatabase:
    __test__ = False  # not a test class
    backend: str
    url: str
    schema: str | None = None

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Raw rows, read with the driver itself (write `?` for parameters)."""
        if self.backend == "sqlite":
            with sqlite3.connect(self.url.removeprefix("sqlite:///")) as conn:
                return conn.execute(sql, params).fetchall()
        import psycopg

        with psycopg.connect(PG_SERVER, options=f"-csearch_path={self.schema}") as conn:
            return [tuple(r) for r in conn.execute(sql.replace("?", "%s"), params).fetchall()]


@pytest.fixture(scope="session")
def pg_skip_reason() -> str | None:
    return postgresql_unreachable()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path: Path, pg_skip_reason: str | None) -> Iterator[TestDatabase]:
    if request.param == "sqlite":
        yield TestDatabase("sqlite", f"sqlite:///{tmp_path / 'handoff.db'}")
        return
    if pg_skip_reason:
        service_unreachable(pg_skip_reason)
    import psycopg

    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = PG_SERVER.replace("postgresql://", "postgresql+psycopg://") + f"?options=-csearch_path%3D{schema}"
    try:
        yield TestDatabase("postgresql", url, schema)
    finally:
        with psycopg.connect(PG_SERVER, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def sqlite_database(tmp_path: Path) -> TestDatabase:
    """For tests about things that do not depend on the backend (pages, business hours)."""
    return TestDatabase("sqlite", f"sqlite:///{tmp_path / 'handoff.db'}")


def make_settings(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    """The service's settings, none from the environment. An override that only the staff pages'
    insights take (nlu_data_dir, bot_flows_dir, ...) goes into theirs; an unknown one is an error."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "handoff_bot_token": TOKEN,
        "staff_session_secret": SESSION_SECRET,
        "kb_source_dir": ROOT / "kb/articles",
        "kb_drafts_dir": tmp_path / "drafts",
    }
    own = {k: v for k, v in overrides.items() if k in Settings.model_fields}
    theirs = {k: v for k, v in overrides.items() if k not in own}
    unknown = set(theirs) - set(InsightsSettings.model_fields)
    assert not unknown, f"no such setting: {sorted(unknown)}"
    return Settings(_env_file=None, insights=InsightsSettings(_env_file=None, **theirs), **(values | own))


class FixedClock:
    def __init__(self, now: dt.datetime = TUESDAY_10_BERLIN) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def app_factory(tmp_path: Path, clock: FixedClock) -> Iterator[Callable[..., TestClient]]:
    """Start the app (entered TestClient: migrations run) on a database; closed at the end."""
    opened: list[TestClient] = []

    def start(database: TestDatabase, **overrides: Any) -> TestClient:
        client = TestClient(create_app(make_settings(database.url, tmp_path, **overrides), clock=clock))
        client.__enter__()
        opened.append(client)
        return client

    yield start
    for client in reversed(opened):
        client.__exit__(None, None, None)


@pytest.fixture
def client(app_factory, database: TestDatabase) -> TestClient:
    return app_factory(database)


def add_staff(database_url: str, email: str = STAFF_EMAIL, name: str = STAFF_NAME, password: str = STAFF_PASSWORD):
    """Through the CLI's own entry point, in process (test_auth runs the real command once)."""
    from handoff_api import cli

    stdin, sys.stdin = sys.stdin, io.StringIO(password + "\n")
    try:
        args = ["--database-url", database_url, "create-staff", "--email", email, "--name", name, "--password-stdin"]
        assert cli.main(args) == 0
    finally:
        sys.stdin = stdin


@pytest.fixture
def staff(client: TestClient, database: TestDatabase) -> dict[str, str]:
    """A staff user (made by the CLI) and their Basic auth header."""
    add_staff(database.url)
    return basic()


def login(client: TestClient, email: str = STAFF_EMAIL, password: str = STAFF_PASSWORD) -> httpx.Response:
    page = client.get("/staff/login")
    token = csrf_from(page.text)
    return client.post(
        "/staff/login",
        data={"email": email, "password": password, "csrf_token": token, "next": "/staff"},
        follow_redirects=False,
    )


def csrf_from(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def ticket_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "conversation_id": "conv-1",
        "reason": "customer_asked",
        "summary": "Customer asked for a person.",
        "customer_email": "anna@example.com",
        "transcript": [
            {
                "time": "2026-11-22T10:00:00Z",
                "sender": "customer",
                "text": "my wifi keeps dropping",
                "intent": "wifi_dropout",
                "confidence": 0.97,
                "entities": [],
            },
            {"time": "2026-11-22T10:00:01Z", "sender": "bot", "text": "Try restarting the router."},
            {
                "time": "2026-11-22T10:00:30Z",
                "sender": "customer",
                "text": "talk to a person",
                "intent": "request_human",
                "confidence": 0.99,
                "entities": [],
            },
        ],
        "slots": {"device": "router"},
        "steps_tried": [{"step": "Restart the router (wifi/restart)", "outcome": "not_fixed", "at": "2026-11-22"}],
        "kb_articles": ["wifi-keeps-dropping"],
    }
    return body | overrides


def create(client: TestClient, **overrides: Any) -> dict[str, Any]:
    r = client.post("/api/tickets", json=ticket_body(**overrides), headers=BOT)
    assert r.status_code == 201, r.text
    return r.json()


# --- a real uvicorn process -------------------------------------------------------
def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_server(database_url: str, workdir: Path, extra_env: dict[str, str] | None = None) -> LiveServer:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HANDOFF_", "WEBHOOK_", "STAFF_", "BUSINESS_"))}
    env |= {
        "DATABASE_URL": database_url,
        "HANDOFF_BOT_TOKEN": TOKEN,
        "STAFF_SESSION_SECRET": SESSION_SECRET,
        "RATE_LIMIT_URL": "",  # failed sign-ins counted in this test's own database
        "KB_DRAFTS_DIR": str(workdir / "drafts"),
        "KB_SOURCE_DIR": str(ROOT / "kb/articles"),
        "WEB_VENDOR_DIR": str(ROOT / "web/node_modules"),
        "PYTHONPATH": str(ROOT),
    } | (extra_env or {})
    log = workdir / f"uvicorn-{port}.log"
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "handoff_api.main:create_app"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    # cwd is the work folder so that no developer .env is read.
    process = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    server = LiveServer(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{server.url}/readyz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"uvicorn not ready: {log.read_text()[-3000:]}")


@pytest.fixture
def live_server(database: TestDatabase, tmp_path: Path) -> Iterator[LiveServer]:
    server = start_server(database.url, tmp_path)
    yield server
    server.stop()
