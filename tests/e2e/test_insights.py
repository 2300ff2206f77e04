"""The review inbox and the analytics through the real stack (trained model, action server,
handoff service, SQL tracker store): a known mix of conversations driven over the REST channel, then the analytics of
`python -m insights` equal the expected counts exactly, the staff page shows the same numbers, the
inbox groups the fallback messages, and a group assigned to an intent (in a copy of bot/data)
passes `rasa data validate` and is learnt by a model retrained on the copy.

The mix runs on a stack of its own (about a minute to start): the shared one holds every other
module's conversations."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml
from playwright.sync_api import expect

from harness.stack import (
    APP_PY,
    RASA_BIN,
    RASA_PY,
    ROOT,
    base_env,
    built_test_index,
    running_stack,
    trained_test_model,
)
from harness.stack import test_config as rasa_test_config  # renamed: pytest would collect a test_* name
from kb_index.loading import parse_article
from tests.e2e.accessibility import assert_page_accessible
from tests.e2e.conftest import create_staff, screenshot, sign_in_as_staff
from tests.e2e.rest_chat import Chat

pytestmark = pytest.mark.e2e

ZONE = ZoneInfo("Europe/Berlin")  # BUSINESS_TIMEZONE's default: the days the figures count in
STAFF_EMAIL, STAFF_PASSWORD = "lead@nimbus.example", "insights-e2e-password"
UPLOADS = ["my uploads never finish", "my uploads are stuck and never complete"]


@dataclass
class Mix:
    chats: dict[str, str] = field(default_factory=dict)
    turns_resolved: int = 0
    tickets: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("insights")
    shutil.copytree(ROOT / "bot/data", folder / "data")  # "assign" writes here, never into bot/data
    extra = {
        "NLU_DATA_DIR": str(folder / "data/nlu"),
        "KB_DRAFTS_DIR": str(folder / "drafts"),
        "STAFF_SESSION_SECRET": "insights-e2e-secret-" + "x" * 24,
    }
    started = time.monotonic()
    with running_stack(trained_test_model(), built_test_index(), extra) as stack:
        print(f"own stack up in {time.monotonic() - started:.0f} s")
        yield stack, folder


def drive_the_mix(stack) -> Mix:
    mix = Mix()
    # 1, 2: resolved by a KB answer and "yes", rated 5 and 3
    for name, question, rating in (
        ("kb5", "how do I share a file", "5"),
        ("kb3", "how can I restore deleted files", "3"),
    ):
        chat = Chat(stack, f"insights-{name}")
        assert "Did this help?" in chat.say(question)
        assert "rate it from 1" in chat.tap("Yes").lower()
        assert "Thanks for your feedback" in chat.say(rating)
        mix.chats[name], mix.turns_resolved = chat.conversation_id, mix.turns_resolved + chat.sent
    # ... and the second customer is back with something else (a new session): not first contact
    back = Chat(stack, "insights-kb3", mix.chats["kb3"])
    back.say("/session_start")
    assert "questions" in back.say("my wifi keeps dropping")  # the diagnosis starts; left there
    # 3: resolved by a troubleshooting step; asked for a rating, said thanks instead
    chat = Chat(stack, "insights-step")
    chat.reach_first_step("I have no internet at all on any device")
    assert "rate it from 1" in chat.tap("Yes, that fixed").lower()
    assert "welcome" in chat.say("thanks!").lower()
    mix.chats["step"], mix.turns_resolved = chat.conversation_id, mix.turns_resolved + chat.sent
    # 4: escalated on request in the middle of a diagnosis
    chat = Chat(stack, "insights-human")
    chat.say("my printer won't print")
    reply = chat.say("I want to talk to a person")
    mix.chats["human"], mix.tickets["customer_asked"] = chat.conversation_id, re.search(r"NIM-\d{6}", reply).group(0)
    # 5, 6: not understood; the first twice (a person takes over), the second once
    for name, text in zip(("fallback2", "fallback1"), UPLOADS, strict=True):
        chat = Chat(stack, f"insights-{name}")
        assert "not sure I understood" in chat.say(text), f"the model no longer falls back on {text!r}"
        mix.chats[name] = chat.conversation_id
    second = Chat(stack, "insights-fallback2", mix.chats["fallback2"])
    reply = second.say("/nlu_fallback")  # a second miss, as the NLU reports it (see test_flows.py)
    assert "still not sure" in reply
    mix.tickets["low_confidence"] = re.search(r"NIM-\d{6}", reply).group(0)
    # 7: out of scope
    chat = Chat(stack, "insights-oos")
    assert "outside what I can help with" in chat.say("can you recommend a good pizza place nearby?")
    mix.chats["oos"] = chat.conversation_id
    # 8: a KB answer that did not help, then the next best, then a person
    chat = Chat(stack, "insights-kbno")
    reply = chat.say("Is there a Nimbus app for Apple Watch?")
    while "Did this help?" in reply:
        reply = chat.tap("No")
    mix.chats["kbno"], mix.tickets["no_kb_answer"] = chat.conversation_id, re.search(r"NIM-\d{6}", reply).group(0)
    # 9: a question no article answers well enough
    chat = Chat(stack, "insights-kbmiss")
    assert "I don't have a help article" in chat.say("Does the editor support Markdown formatting?")
    mix.chats["kbmiss"] = chat.conversation_id
    return mix


@pytest.fixture(scope="module")
def mix(own_stack) -> Mix:
    stack, _ = own_stack
    started = time.monotonic()
    driven = drive_the_mix(stack)
    print(f"mix driven in {time.monotonic() - started:.0f} s")
    return driven


def days() -> tuple[str, str]:
    # Around today in the business time zone, so that a run across midnight still sees everything.
    today = dt.datetime.now(ZONE).date()
    return (today - dt.timedelta(days=1)).isoformat(), (today + dt.timedelta(days=1)).isoformat()


def insights_cli(stack, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(APP_PY), "-m", "insights", *args],
        cwd=stack.workdir,
        env=stack.env | (env or {}),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_analytics_equal_the_known_mix(own_stack, mix: Mix) -> None:
    stack, _ = own_stack
    first, last = days()
    done = insights_cli(stack, "analytics", "--from", first, "--to", last, "--json")
    assert done.returncode == 0, done.stderr
    a = json.loads(done.stdout)

    def ratio(key: str) -> tuple[int, int]:
        return a[key]["numerator"], a[key]["denominator"]

    # kb5, kb3, kb3 again, step, human, fallback2, fallback1, oos, kbno, kbmiss
    assert a["conversations"] == 10
    # with a support problem: kb5, kb3, kb3 again (wifi), step, human (printer), kbno, kbmiss
    assert a["support_conversations"] == 7 and ratio("containment_rate") == (3, 7)
    assert ratio("handoff_rate") == (3, 10)
    assert {k: v["numerator"] for k, v in a["handoff_by_reason"].items()} == {
        "customer_asked": 1,
        "low_confidence": 1,
        "no_kb_answer": 1,
    }
    assert ratio("fallback_rate") == (2, 10) and ratio("out_of_scope_rate") == (1, 10)
    assert a["csat"] == {"average": 4.0, "count": 2, "distribution": {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1}}
    assert ratio("csat_response_rate") == (2, 3)
    assert ratio("fcr_rate") == (2, 3)  # kb3 came back
    assert (
        a["avg_turns_resolved"]["turns"] == mix.turns_resolved
        and a["avg_turns_resolved"]["resolved_conversations"] == 3
    )
    assert a["top_intents"][0] == {"intent": "ask_howto", "conversations": 4}
    assert {i["intent"] for i in a["top_intents"][1:]} == {"wifi_dropout", "no_internet", "printer_issue"}
    assert sum(d["conversations"] for d in a["trend"]) == 10 and sum(d["handoffs"] for d in a["trend"]) == 3


@contextmanager
def staff_client(stack) -> Iterator[httpx.Client]:
    """Logged in as a staff account made with the service's own command (as test_journeys.py does)."""
    create_staff(stack, STAFF_EMAIL, "Lee Lead", STAFF_PASSWORD)
    with httpx.Client(base_url=stack.handoff_url, follow_redirects=True, timeout=120) as web:
        token = csrf_from(web.get("/staff/login").text)
        web.post("/staff/login", data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD, "csrf_token": token})
        yield web


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def row(page: str, figure: str) -> str:
    found = re.search(rf'<tr id="fig-{figure}">(.*?)</tr>', page, re.S)
    assert found, figure
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))


def test_the_staff_pages_show_the_same_numbers_and_the_grouped_inbox(own_stack, mix: Mix) -> None:
    stack, folder = own_stack
    first, last = days()
    with staff_client(stack) as web:
        page = web.get("/staff/analytics", params={"from": first, "to": last})
        assert page.status_code == 200 and "Support analytics" in page.text
        assert "42.9% 3 of 7" in row(page.text, "containment_rate")
        assert "30.0% 3 of 10" in row(page.text, "handoff_rate")
        assert "10.0% 1 of 10" in row(page.text, "handoff-no_kb_answer")
        assert "20.0% 2 of 10" in row(page.text, "fallback_rate")
        assert "4.00 2 ratings" in row(page.text, "csat") and "66.7% 2 of 3" in row(page.text, "fcr_rate")
        assert page.text.count('role="img"') == 5
        inbox = web.get("/staff/inbox", params={"from": first, "to": last}).text
        for sender in (mix.chats["fallback1"], mix.chats["fallback2"]):
            assert f'href="/staff/conversations/{sender}#e' in inbox
        # needs a KB article, from the page: the stub lands in KB_DRAFTS_DIR and says so
        gid = re.search(r'id="g-([0-9a-f]{10})-h">“Does the editor support Markdown formatting\?”', inbox).group(1)
        r = web.post(f"/staff/inbox/{gid}/kb-stub", data={"from": first, "to": last, "csrf_token": csrf_from(inbox)})
        (stub,) = (folder / "drafts").glob("*.md")
        assert f"KB article stub written: {stub}" in r.text
        assert parse_article(stub).questions == ("Does the editor support Markdown formatting?",)
        talk = web.get(f"/staff/conversations/{mix.chats['fallback2']}").text
        assert UPLOADS[0] in talk and "nlu_fallback" in talk and mix.tickets["low_confidence"] in talk


def test_the_inbox_groups_the_fallback_messages(own_stack, mix: Mix) -> None:
    stack, _ = own_stack
    first, last = days()
    done = insights_cli(stack, "inbox", "--from", first, "--to", last, "--json")
    assert done.returncode == 0, done.stderr
    groups = json.loads(done.stdout)["groups"]
    (uploads,) = [g for g in groups if any(m["text"] in UPLOADS for m in g["messages"])]
    assert sorted(m["text"] for m in uploads["messages"]) == sorted(UPLOADS)
    assert uploads["count"] == 2 and uploads["reasons"] == {"nlu_fallback": 2}
    assert {c["conversation_id"] for c in uploads["conversations"]} == {mix.chats["fallback1"], mix.chats["fallback2"]}
    reasons = {m["text"]: set(m["reasons"]) for g in groups for m in g["messages"]}
    assert reasons["can you recommend a good pizza place nearby?"] == {"out_of_scope"}
    assert reasons["Is there a Nimbus app for Apple Watch?"] == {"kb_not_helpful"}
    # "/nlu_fallback", taps and ratings are not customer words: never listed
    assert not any(text.startswith("/") or text in ("5", "3") for text in reasons)


def test_an_assigned_group_validates_and_a_retrained_model_learns_it(own_stack, mix: Mix, tmp_path: Path) -> None:
    stack, folder = own_stack
    first, last = days()
    groups = json.loads(insights_cli(stack, "inbox", "--from", first, "--to", last, "--json").stdout)["groups"]
    (uploads,) = [g for g in groups if any(m["text"] in UPLOADS for m in g["messages"])]
    howto = folder / "data/nlu/howto.yml"
    before = howto.read_text()
    done = insights_cli(stack, "inbox", "--from", first, "--to", last, "assign", uploads["id"], "ask_howto")
    assert done.returncode == 0, done.stderr
    assert f"Added 2 examples to {howto} (intent ask_howto)" in done.stdout
    assert (ROOT / "bot/data/nlu/howto.yml").read_text() == before  # the real data is untouched
    env = base_env()
    validate = subprocess.run(
        [str(RASA_BIN), "data", "validate", "--data", str(folder / "data"), "--domain", str(ROOT / "domain.yml")]
        + ["--config", str(ROOT / "config.yml")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert validate.returncode == 0, validate.stdout[-3000:] + validate.stderr[-3000:]
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump(rasa_test_config(), sort_keys=False))
    started = time.monotonic()
    subprocess.run(
        [str(RASA_BIN), "train", "nlu", "--config", str(config), "--nlu", str(folder / "data/nlu")]
        + ["--out", str(tmp_path / "models"), "--fixed-model-name", "inbox", "--quiet"],
        cwd=tmp_path,  # Rasa's component cache stays in this test's folder
        env=env,
        check=True,
        capture_output=True,
        timeout=1200,
    )
    print(f"NLU retrained in {time.monotonic() - started:.0f} s")
    parse = tmp_path / "parse.py"
    parse.write_text(
        textwrap.dedent(
            """
            import asyncio, json, sys
            from rasa.core.agent import Agent

            async def main():
                agent = Agent.load(sys.argv[1])
                for text in json.loads(sys.argv[2]):
                    print(json.dumps((await agent.parse_message(text))["intent"]))

            asyncio.run(main())
            """
        )
    )
    parsed = subprocess.run(
        [str(RASA_PY), str(parse), str(tmp_path / "models/inbox.tar.gz"), json.dumps(UPLOADS)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    intents = [json.loads(line) for line in parsed.stdout.splitlines() if line.startswith("{")]
    assert [i["name"] for i in intents] == ["ask_howto", "ask_howto"], intents


def test_the_staff_analytics_and_inbox_pages_in_a_browser(own_stack, mix: Mix, browser) -> None:
    """What a support lead sees: the charts render, the pages pass axe-core, screenshots in
    test-artifacts/. The staff pages' CSP forbids inline scripts; only this test's browser context
    bypasses it, to inject axe-core."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    stack, _ = own_stack
    first, last = days()
    sign_in_as_staff(page, stack, STAFF_EMAIL, "Lee Lead", STAFF_PASSWORD)
    page.goto(f"{stack.handoff_url}/staff/inbox?from={first}&to={last}")
    # a group no other test of this module acts on (assigned or stubbed groups leave the inbox)
    group = (
        page.locator("section, article, li, div")
        .filter(has=page.get_by_role("heading", name=re.compile("pizza place")))
        .last
    )
    expect(group).to_contain_text("out of scope")
    assert_page_accessible(page, "review inbox")
    screenshot(page, "staff-inbox")
    group.get_by_text(re.compile(r"Conversations \(1\)")).click()  # opens the list
    group.get_by_role("link").first.click()
    expect(page.locator("body")).to_contain_text("pizza place")
    assert_page_accessible(page, "conversation")
    page.goto(f"{stack.handoff_url}/staff/analytics?from={first}&to={last}")
    charts = page.get_by_role("img")
    expect(charts).to_have_count(5)
    for i in range(5):
        box = charts.nth(i).bounding_box()
        assert box and box["width"] > 100 and box["height"] > 40  # drawn, not collapsed
    assert_page_accessible(page, "analytics")
    screenshot(page, "staff-analytics")
    context.close()
