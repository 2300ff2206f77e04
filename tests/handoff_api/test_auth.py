"""Who may do what: no open route reads tickets, bot and staff credentials differ, staff log in
with an argon2-hashed password made by the CLI, forms need the CSRF token."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.handoff_api.conftest import (
    BOT,
    ROOT,
    STAFF_EMAIL,
    STAFF_PASSWORD,
    TestDatabase,
    add_staff,
    basic,
    create,
    csrf_from,
    login,
)

# Routes anyone may call: they read no ticket data.
PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/"),
    ("GET", "/help/articles/{article_id}"),
    ("GET", "/staff/login"),
    ("POST", "/staff/login"),
    ("POST", "/staff/logout"),
    # the demo tenant's password reset page: the mailed single-use token is the credential
    ("GET", "/reset"),
    ("POST", "/reset"),
}


def api_routes(routes, prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every APIRoute with its full path. Newer FastAPI keeps included routers as nodes
    (`original_router`, `include_context.prefix`) instead of copying their routes into app.routes."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes, prefix + route.include_context.prefix)
        elif isinstance(getattr(route, "routes", None), list):  # an older FastAPI's plain mounts
            yield from api_routes(route.routes, prefix + getattr(route, "path", ""))


def test_every_ticket_route_refuses_anonymous_requests(client: TestClient) -> None:
    """Walks app.routes: a new route that forgets its auth dependency fails this test."""
    ticket = create(client)
    checked = []
    for full_path, route in api_routes(client.app.routes):
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            if (method, full_path) in PUBLIC:
                continue
            path = full_path.replace("{ticket_id}", ticket["id"]).replace("{group_id}", "0123456789")
            path = path.replace("{conversation_id:path}", ticket["conversation_id"])
            path = path.replace("{conversation_id}", ticket["conversation_id"])
            assert "{" not in path, f"unexpected path parameter in {full_path}: add it here"
            r = client.request(method, path, json={}, follow_redirects=False)
            if full_path.startswith("/staff"):
                # Pages send the visitor to the login page; POSTs without a session are refused too.
                assert r.status_code in (303, 401, 403), (method, path, r.status_code)
                if r.status_code == 303:
                    assert r.headers["location"].startswith("/staff/login")
            else:
                assert r.status_code == 401, (method, path, r.status_code, r.text)
            assert ticket["id"] not in r.text and "wifi" not in r.text
            checked.append((method, full_path))
    assert ("GET", "/api/tickets") in checked and ("GET", "/api/tickets/{ticket_id}") in checked
    assert ("GET", "/staff/tickets/{ticket_id}") in checked and ("PATCH", "/api/tickets/{ticket_id}") in checked
    assert ("POST", "/api/conversations/{conversation_id}/contact") in checked
    assert len(checked) >= 12


def test_the_cli_creates_staff_with_an_argon2_hash(database: TestDatabase, client: TestClient) -> None:
    env = os.environ | {"DATABASE_URL": database.url, "PYTHONPATH": str(ROOT)}

    def cli(*args: str, password: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "handoff_api.cli", *args],
            input=None if password is None else password + "\n",
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=60,
        )

    made = cli(
        "create-staff", "--email", "Kim@Nimbus.example", "--name", "Kim", "--password-stdin", password="s3cret-enough"
    )
    assert made.returncode == 0, made.stderr
    (stored,) = database.rows("SELECT email, password_hash FROM staff_users")
    assert stored[0] == "kim@nimbus.example" and stored[1].startswith("$argon2id$") and "s3cret" not in stored[1]
    assert (
        cli(
            "create-staff", "--email", "kim@nimbus.example", "--name", "Kim", "--password-stdin", password="x" * 12
        ).returncode
        != 0
    )
    short = cli("create-staff", "--email", "lee@nimbus.example", "--name", "Lee", "--password-stdin", password="short")
    assert short.returncode != 0 and "at least 10" in short.stderr
    assert client.get("/api/tickets", headers=basic("kim@nimbus.example", "s3cret-enough")).status_code == 200
    assert (
        cli("reset-password", "--email", "kim@nimbus.example", "--password-stdin", password="brand-new-pass").returncode
        == 0
    )
    assert client.get("/api/tickets", headers=basic("kim@nimbus.example", "s3cret-enough")).status_code == 401
    assert client.get("/api/tickets", headers=basic("kim@nimbus.example", "brand-new-pass")).status_code == 200
    listed = cli("list-staff")
    assert "kim@nimbus.example\tKim\tactive" in listed.stdout
    assert cli("deactivate-staff", "--email", "kim@nimbus.example").returncode == 0
    assert client.get("/api/tickets", headers=basic("kim@nimbus.example", "brand-new-pass")).status_code == 401


def test_login_logout_and_csrf(client: TestClient, database: TestDatabase) -> None:
    add_staff(database.url)
    ticket = create(client)
    anonymous = client.get(f"/staff/tickets/{ticket['id']}", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/staff/login?next=")
    # Without the form's CSRF token the login is refused even with the right password.
    client.get("/staff/login")
    no_csrf = client.post("/staff/login", data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD})
    assert no_csrf.status_code == 403
    wrong = login(client, password="not the password")
    assert wrong.status_code == 401 and "Wrong email or password" in wrong.text
    ok = login(client)
    assert ok.status_code == 303 and ok.headers["location"] == "/staff"
    cookie = ok.headers["set-cookie"]
    assert "tier0_staff=" in cookie and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    page = client.get(f"/staff/tickets/{ticket['id']}")
    assert page.status_code == 200 and ticket["id"] in page.text
    assert (
        "default-src 'self'" in page.headers["content-security-policy"] and page.headers["cache-control"] == "no-store"
    )
    # A form post without the session's token changes nothing.
    bad = client.post(f"/staff/tickets/{ticket['id']}/update", data={"status": "open", "csrf_token": "forged"})
    assert bad.status_code == 403
    assert client.get(f"/api/tickets/{ticket['id']}", headers=BOT).json()["status"] == "new"
    token = csrf_from(page.text)
    good = client.post(
        f"/staff/tickets/{ticket['id']}/update",
        data={"status": "open", "priority": "high", "queue": "tier1", "assignee": STAFF_EMAIL, "csrf_token": token},
        follow_redirects=False,
    )
    assert good.status_code == 303
    after = client.get(f"/api/tickets/{ticket['id']}", headers=BOT).json()
    assert (after["status"], after["priority"], after["assignee"]) == ("open", "high", STAFF_EMAIL)
    assert client.post("/staff/logout", data={"csrf_token": "forged"}).status_code == 403
    out = client.post("/staff/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get(f"/staff/tickets/{ticket['id']}", follow_redirects=False).status_code == 303
    assert client.get("/api/tickets").status_code == 401


def test_a_forged_or_stale_cookie_is_not_a_session(app_factory, database: TestDatabase) -> None:
    client = app_factory(database)
    add_staff(database.url)
    assert login(client).status_code == 303
    cookie = client.cookies.get("tier0_staff")
    assert client.get("/api/tickets").status_code == 200
    # Another secret (or a tampered cookie): not signed by us.
    other = app_factory(database, staff_session_secret="another-secret-" + "x" * 24)
    other.cookies.set("tier0_staff", cookie)
    assert other.get("/api/tickets").status_code == 401
    tampered = cookie[:-4] + ("AAAA" if not cookie.endswith("AAAA") else "BBBB")
    fresh = app_factory(database)
    fresh.cookies.set("tier0_staff", tampered)
    assert fresh.get("/api/tickets").status_code == 401


def test_logging_out_ends_the_session_for_every_copy_of_the_cookie(app_factory, database: TestDatabase) -> None:
    browser = app_factory(database)
    add_staff(database.url)
    ticket = create(browser)
    assert login(browser).status_code == 303
    saved = browser.cookies.get("tier0_staff")  # e.g. taken from the browser's profile or a proxy log
    other_device = app_factory(database)
    assert login(other_device).status_code == 303
    token = csrf_from(browser.get("/staff").text)
    assert browser.post("/staff/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303

    replayed = app_factory(database)
    replayed.cookies.set("tier0_staff", saved)
    page = replayed.get(f"/staff/tickets/{ticket['id']}", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/staff/login")
    assert replayed.get("/api/tickets").status_code == 401
    # Only that sign-in ended: the same user's other device is still signed in.
    assert other_device.get("/api/tickets").status_code == 200


def test_sign_ins_beyond_the_kept_number_end_the_oldest(app_factory, database: TestDatabase, monkeypatch) -> None:
    from handoff_api import staff_sessions

    monkeypatch.setattr(staff_sessions, "MAX_KEPT_PER_USER", 3)  # 20 in production; the same rule
    first = app_factory(database)
    add_staff(database.url)
    browsers = [first] + [TestClient(first.app) for _ in range(3)]  # one cookie jar each
    for browser in browsers:
        assert login(browser).status_code == 303
    assert browsers[0].get("/api/tickets").status_code == 401  # abandoned longest ago: ended
    assert all(browser.get("/api/tickets").status_code == 200 for browser in browsers[1:])
    assert database.rows("SELECT count(*) FROM staff_sessions") == [(3,)]


def test_a_password_reset_still_ends_older_sessions(app_factory, database: TestDatabase) -> None:
    from handoff_api import cli

    client = app_factory(database)
    add_staff(database.url)
    assert login(client).status_code == 303 and client.get("/api/tickets").status_code == 200
    args = ["--database-url", database.url, "reset-password", "--email", STAFF_EMAIL, "--password-stdin"]
    stdin, sys.stdin = sys.stdin, io.StringIO("a-brand-new-password\n")
    try:
        assert cli.main(args) == 0
    finally:
        sys.stdin = stdin
    assert client.get("/api/tickets").status_code == 401


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example", "/\\evil.example"])
def test_login_never_redirects_off_site(client: TestClient, database: TestDatabase, next_url: str) -> None:
    add_staff(database.url)
    token = csrf_from(client.get("/staff/login").text)
    r = client.post(
        "/staff/login",
        data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD, "csrf_token": token, "next": next_url},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/staff"
    assert re.match(r"^/staff", r.headers["location"])


# --- sign-in throttle -------------------------------------------------------------
def test_the_eleventh_wrong_password_in_a_minute_is_refused_before_any_check(
    client: TestClient, staff: dict[str, str]
) -> None:
    for _ in range(10):
        assert login(client, password="wrong password guess").status_code == 401
    refused = login(client, password="wrong password guess")
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.text
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Even the right password waits now: the guesser learns nothing from the answer.
    assert login(client).status_code == 429
    # HTTP Basic counts against the same account.
    assert client.get("/api/tickets", headers=basic()).status_code == 429


def test_basic_auth_guessing_is_throttled_too(client: TestClient, staff: dict[str, str]) -> None:
    statuses = [client.get("/api/tickets", headers=basic(password=f"guess {i:04d}")).status_code for i in range(12)]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]


def test_a_client_guessing_many_accounts_is_throttled(app_factory, database: TestDatabase) -> None:
    client = app_factory(database, staff_login_failures_per_client_minute=5)
    add_staff(database.url)
    for i in range(5):
        assert login(client, email=f"nobody{i}@nimbus.example", password="wrong password").status_code == 401
    assert login(client, email="another@nimbus.example", password="wrong password").status_code == 429
    assert login(client).status_code == 429  # the same address, a real account: still waits


def test_a_right_password_after_a_few_typos_signs_in(client: TestClient, staff: dict[str, str]) -> None:
    for _ in range(3):
        assert login(client, password="typo in it").status_code == 401
    assert login(client).status_code == 303


# --- what every page sends ---------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/help/articles/reset-password", "/staff/login", "/reset?token=x"])
def test_every_html_page_sends_the_security_headers(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "object-src 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"
    assert r.headers["X-Frame-Options"] == "DENY"


def test_the_demo_page_may_reach_only_its_rasa_server(app_factory, database: TestDatabase) -> None:
    client = app_factory(database, rasa_public_url="https://chat.nimbus.example")
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "connect-src 'self' https://chat.nimbus.example wss://chat.nimbus.example;" in csp


def test_pages_with_customer_data_or_tokens_are_never_cached(client: TestClient) -> None:
    assert client.get("/staff/login").headers["Cache-Control"] == "no-store"
    assert client.get("/reset?token=x").headers["Cache-Control"] == "no-store"


def test_production_sends_the_cookie_over_https_only_and_hides_the_api_docs(
    app_factory, database: TestDatabase
) -> None:
    development = app_factory(database)
    assert "secure" not in development.get("/staff/login").headers["set-cookie"].lower()
    assert development.get("/docs").status_code == 200
    production = app_factory(database, environment="production")
    assert "secure" in production.get("/staff/login").headers["set-cookie"].lower()
    assert production.get("/docs").status_code == 404
    assert production.get("/openapi.json").status_code == 404


def test_production_refuses_to_start_without_a_session_secret(tmp_path, database: TestDatabase) -> None:
    from handoff_api.main import create_app
    from tests.handoff_api.conftest import make_settings

    with pytest.raises(ValueError, match="STAFF_SESSION_SECRET"):
        create_app(make_settings(database.url, tmp_path, environment="production", staff_session_secret=""))
