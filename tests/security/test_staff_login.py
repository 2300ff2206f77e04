"""Staff sign-in against the running handoff service: guessing is throttled per account before any
password is checked, and logging out ends the session on the server."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.e2e.conftest import create_staff
from tests.handoff_api.conftest import csrf_from, login

pytestmark = pytest.mark.e2e

EMAIL, PASSWORD = "sec-kim@nimbus.example", "security-test-password"


def test_the_eleventh_wrong_staff_password_in_a_minute_gets_429(stack) -> None:
    create_staff(stack, EMAIL, "Kim Security", PASSWORD)
    with httpx.Client(base_url=stack.handoff_url) as client:
        answers = [login(client, EMAIL, f"wrong guess {i}") for i in range(11)]
        assert [a.status_code for a in answers] == [401] * 10 + [429], answers[0].text[-500:]
        refused = login(client, EMAIL, PASSWORD)  # the right one waits too: the guesser learns nothing
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) <= 60
    basic = base64.b64encode(f"{EMAIL}:{PASSWORD}".encode()).decode()
    r = httpx.get(f"{stack.handoff_url}/api/tickets", headers={"Authorization": f"Basic {basic}"})
    assert r.status_code == 429


def test_a_copied_session_cookie_stops_working_when_its_owner_logs_out(stack) -> None:
    email = "sec-lee@nimbus.example"
    create_staff(stack, email, "Lee Security", PASSWORD)
    with httpx.Client(base_url=stack.handoff_url) as browser:
        assert login(browser, email, PASSWORD).status_code == 303
        copied = browser.cookies.get("tier0_staff")
        token = csrf_from(browser.get("/staff").text)
        assert browser.post("/staff/logout", data={"csrf_token": token}).status_code == 303
    with httpx.Client(base_url=stack.handoff_url, cookies={"tier0_staff": copied}) as attacker:
        page = attacker.get("/staff")
        assert page.status_code == 303 and page.headers["location"].startswith("/staff/login")
        assert attacker.get("/api/tickets").status_code == 401
