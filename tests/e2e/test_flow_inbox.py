"""A content writer teaches a troubleshooting question the words customers really use, over the real
stack (trained model, action server, handoff service with the staff pages, SQL tracker store):

customers answer "is it only this device?" in words no option matches, the bot asks again and they
tap an option; the review inbox shows their answers grouped under that question with the option they
tapped; in a browser the writer adds the group to that option (the diff first, then saved into a copy
of bot/flows); the next customer who types the same answer goes straight on, with no restart; the
analytics count the in-flow misunderstandings before and after.

Runs on a stack of its own, whose flows are a copy (BOT_FLOWS_DIR): the shared stack's are the repo's."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from bot.actions.flow_content import load_flows
from harness.stack import APP_PY, ROOT, built_test_index, running_stack, trained_test_model
from tests.e2e.accessibility import assert_page_accessible
from tests.e2e.conftest import screenshot, sign_in_as_staff
from tests.e2e.rest_chat import Chat, buttons

pytestmark = pytest.mark.e2e

ZONE = ZoneInfo("Europe/Berlin")
STAFF_EMAIL, STAFF_PASSWORD = "writer@nimbus.example", "flow-inbox-e2e-password"
# Two customers' ways of saying "only this device" that no option of the scope question says.
ANSWERS = ["the one upstairs in the study", "the one up in the study room"]
NOT_CAUGHT = "didn't catch that"


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("flow-inbox")
    shutil.copytree(ROOT / "bot/flows", folder / "flows")
    extra = {"BOT_FLOWS_DIR": str(folder / "flows"), "STAFF_SESSION_SECRET": "flow-inbox-e2e-secret-" + "x" * 24}
    with running_stack(trained_test_model(), built_test_index(), extra) as stack:
        yield stack, folder / "flows"


def days() -> tuple[str, str]:
    today = dt.datetime.now(ZONE).date()
    return (today - dt.timedelta(days=1)).isoformat(), (today + dt.timedelta(days=1)).isoformat()


def insights(stack, *args: str) -> dict:
    done = subprocess.run(
        [str(APP_PY), "-m", "insights", *args, "--json"],
        cwd=stack.workdir,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def asked_scope(chat: Chat) -> None:
    chat.say("my wifi keeps dropping")
    assert "Only this device" in [b["title"] for b in buttons(chat.last)]


def test_unmatched_answers_are_taught_in_one_click_and_understood_at_once(own_stack, browser) -> None:
    stack, flows = own_stack
    first, last = days()
    for answer in ANSWERS:
        chat = Chat(stack, "flow-inbox")
        asked_scope(chat)
        assert NOT_CAUGHT in chat.say(answer)
        assert NOT_CAUGHT not in chat.tap("Only this device")
    before = insights(stack, "analytics", "--from", first, "--to", last)["flow_not_understood_rate"]
    assert (before["numerator"], before["denominator"]) == (2, 2)

    inbox = insights(stack, "inbox", "--from", first, "--to", last)
    (section,) = inbox["flow_questions"]
    assert section["question"] == "scope" and section["flows"] == ["wifi_dropout"]
    (group,) = section["groups"]
    assert sorted(m["text"] for m in group["messages"]) == sorted(ANSWERS)
    assert group["then_chose"] == {"Only this device": 2} and group["next"] == {"tapped an option": 2}

    context = browser.new_context(bypass_csp=True)  # only to inject axe-core
    page = context.new_page()
    sign_in_as_staff(page, stack, STAFF_EMAIL, "Wren Writer", STAFF_PASSWORD)
    page.goto(f"{stack.handoff_url}/staff/inbox?from={first}&to={last}")
    card = page.locator(f"#g-{group['id']}")
    expect(card).to_contain_text("chose “Only this device” right after")
    expect(card.get_by_label("Option")).to_have_value("one")  # the hint, preselected
    assert_page_accessible(page, "review inbox with flow answers")
    page.locator("#q-scope").screenshot(path=str(screenshot_path("inbox-flow-answers")))
    card.get_by_role("button", name=re.compile("Add as answers")).click()
    expect(page.locator("pre.diff")).to_contain_text(ANSWERS[0])
    assert_page_accessible(page, "flow answers diff")
    screenshot(page, "flow-answers-diff")
    assert not set(ANSWERS) & set(load_flows(flows).questions["scope"].options["one"].say)  # not yet
    page.get_by_role("button", name="Save these answers").click()
    expect(page.get_by_role("status")).to_contain_text("Added 2 answers to option 'one'")
    context.close()
    assert set(ANSWERS) <= set(load_flows(flows).questions["scope"].options["one"].say)

    time.sleep(1.5)  # the action server looks for changed flow files at most once a second
    chat = Chat(stack, "flow-inbox")
    asked_scope(chat)
    reply = chat.say(ANSWERS[0])
    assert NOT_CAUGHT not in reply and "Only this device" not in [b["title"] for b in buttons(chat.last)]
    after = insights(stack, "analytics", "--from", first, "--to", last)
    assert (after["flow_not_understood_rate"]["numerator"], after["flow_not_understood_rate"]["denominator"]) == (2, 3)
    (scope,) = [q for q in after["stuck_questions"] if q["question"] == "scope"]
    assert scope["asked"] == 3 and scope["not_understood_rate"]["numerator"] == 2
    assert insights(stack, "inbox", "--from", first, "--to", last)["flow_questions"] == []  # taught: gone


def screenshot_path(name: str) -> Path:
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"
