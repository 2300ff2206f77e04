"""The staff pages of the review inbox and the analytics (handoff_api/routes/insights.py) over HTTP
with a staff login: the figures and charts, the inbox and its two actions (CSRF, what was written
where), a conversation from the tracker store, escaping, and clear errors for bad input."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bot.actions.flow_content import load_flows
from handoff_api.models import Ticket
from insights.conversations import NLU_FALLBACK
from kb_index.loading import parse_article
from tests.handoff_api.conftest import ROOT, TestDatabase, add_staff, csrf_from, login
from tests.insights.events import Chat, at, flow_customers, the_mix, write_tracker_db

XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"
RANGE = {"from": "2026-11-24", "to": "2026-11-25"}


@pytest.fixture
def staff_client(app_factory, sqlite_database: TestDatabase, tmp_path: Path) -> TestClient:
    hostile = Chat("mal<b>", at(25, 18)).session().user(XSS, NLU_FALLBACK, 0.2)
    tracker = write_tracker_db(tmp_path / "tracker.db", *the_mix(), hostile)
    shutil.copytree(ROOT / "bot/data/nlu", tmp_path / "nlu")
    client = app_factory(sqlite_database, tracker_db_url=tracker, nlu_data_dir=tmp_path / "nlu")
    add_staff(sqlite_database.url)
    with Session(create_engine(sqlite_database.url)) as session:  # the tickets of the mix's handoffs
        session.add(Ticket(id="NIM-000004", conversation_id="dan", reason="customer_asked", created_at=at(24, 12)))
        session.add(Ticket(id="NIM-000005", conversation_id="eve", reason="low_confidence", created_at=at(24, 13)))
        session.commit()
    assert login(client).status_code == 303
    return client


def row(page: str, figure: str) -> str:
    found = re.search(rf'<tr id="fig-{figure}">(.*?)</tr>', page, re.S)
    assert found, figure
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))


def test_analytics_page_shows_the_figures_with_charts_and_their_data(staff_client: TestClient) -> None:
    r = staff_client.get("/staff/analytics", params=RANGE)
    assert r.status_code == 200 and "script-src 'self'" in r.headers["content-security-policy"]
    page = r.text
    assert "83.3% 5 of 6" in row(page, "containment_rate")
    assert "20.0% 2 of 10" in row(page, "handoff_rate")  # the mix and one hostile message
    assert "10.0% 1 of 10" in row(page, "handoff-customer_asked")
    assert "4.00 2 ratings" in row(page, "csat") and "60.0% 3 of 5" in row(page, "fcr_rate")
    assert "Of the conversations in which the customer raised a support problem" in page
    # inline SVG charts, each an image with a title and a description, each next to a data table
    assert page.count('role="img"') == 5 and page.count("<title id=") == 5 and page.count("<desc id=") == 5
    assert "<caption" in page and "<script" not in page and "style=" not in page
    assert ">2026-11-24</th><td>5</td><td>3</td><td>2</td><td>1</td>" in page.replace("\n", "")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2026-02-30", "to": "2026-03-01"}, "from &#39;2026-02-30&#39; is not a date"),
        ({"from": "2026-11-25", "to": "2026-11-24"}, "from (2026-11-25) is after to (2026-11-24)"),
    ],
)
def test_bad_dates_are_refused_with_the_reason(staff_client: TestClient, query: dict, message: str) -> None:
    for page in ("/staff/analytics", "/staff/inbox"):
        r = staff_client.get(page, params=query)
        assert r.status_code == 400 and message in r.text


def test_inbox_groups_links_and_escapes(staff_client: TestClient) -> None:
    page = staff_client.get("/staff/inbox", params=RANGE).text
    assert "can you recommend a pizza place" in page and "zorp glax" in page
    assert 'href="/staff/conversations/gus#e' in page
    assert '<option value="ask_howto">' in page and page.count('name="csrf_token"') >= 2 * 4
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "/staff/conversations/mal%3Cb%3E#e" in page


def group_id(client: TestClient, label: str) -> str:
    page = client.get("/staff/inbox", params=RANGE).text
    found = re.search(rf'id="g-([0-9a-f]{{10}})-h">“{re.escape(label)}”', page)
    assert found, label
    return found.group(1)


def test_assigning_a_group_writes_the_examples_and_says_where(staff_client: TestClient, tmp_path: Path) -> None:
    gid = group_id(staff_client, "can you recommend a pizza place")
    form = RANGE | {"intent": "out_of_scope"}
    refused = staff_client.post(f"/staff/inbox/{gid}/assign", data=form, follow_redirects=False)
    assert refused.status_code == 403 and "CSRF" in refused.text
    token = csrf_from(staff_client.get("/staff/inbox", params=RANGE).text)
    target = tmp_path / "nlu/out_of_scope.yml"
    before = target.read_text()
    r = staff_client.post(f"/staff/inbox/{gid}/assign", data=form | {"csrf_token": token})
    assert r.status_code == 200 and r.url.path == "/staff/inbox"
    assert f"Added 1 example to {target} (intent out_of_scope)" in r.text and "make train" in r.text
    assert target.read_text().replace("    - can you recommend a pizza place\n", "", 1) == before
    assert "can you recommend a pizza place" not in r.text.split('role="status"', 1)[1].split("</p>", 1)[1]
    # errors say what is wrong, and write nothing
    written = target.read_text()
    r = staff_client.post(f"/staff/inbox/{gid}/assign", data=form | {"csrf_token": token})
    assert r.status_code == 404 and "no inbox group" in r.text
    other = group_id(staff_client, "zorp glax")
    r = staff_client.post(f"/staff/inbox/{other}/assign", data=RANGE | {"intent": "pizza", "csrf_token": token})
    assert r.status_code == 422 and "intent 'pizza' is not in domain.yml" in r.text
    assert target.read_text() == written


def test_needs_a_kb_article_writes_a_stub_once(staff_client: TestClient, tmp_path: Path) -> None:
    gid = group_id(staff_client, "zorp glax")
    token = csrf_from(staff_client.get("/staff/inbox", params=RANGE).text)
    r = staff_client.post(f"/staff/inbox/{gid}/kb-stub", data=RANGE | {"csrf_token": token, "title": "Zorp help"})
    (stub,) = (tmp_path / "drafts").glob("*.md")
    assert r.status_code == 200 and f"KB article stub written: {stub}" in r.text
    assert parse_article(stub).questions == ("zorp glax",)


def test_a_conversation_as_the_tracker_store_has_it(staff_client: TestClient) -> None:
    page = staff_client.get("/staff/conversations/eve").text
    assert "qwx vrrp" in page and "nlu_fallback (0.20)" in page and "not understood (fallback)" in page
    assert 'class="turn turn-customer flagged"' in page and "NIM-000005" in page
    page = staff_client.get("/staff/conversations/ben").text
    assert page.count("<h2 id=") == 2 and "rated 3 of 5" in page  # two sessions
    hostile = staff_client.get("/staff/conversations/mal<b>")
    assert hostile.status_code == 200 and "<script>alert(1)" not in hostile.text
    missing = staff_client.get("/staff/conversations/nobody")
    assert missing.status_code == 404 and "no conversation 'nobody'" in missing.text


def test_an_unreachable_tracker_store_is_a_clear_503_that_keeps_the_dates(
    app_factory, sqlite_database: TestDatabase, tmp_path: Path
) -> None:
    client = app_factory(sqlite_database, tracker_db_url=f"sqlite:///{tmp_path}/no-such-folder/tracker.db")
    add_staff(sqlite_database.url)
    assert login(client).status_code == 303
    for page in ("/staff/analytics", "/staff/inbox"):
        r = client.get(page, params=RANGE)
        assert r.status_code == 503 and 'value="2026-11-24"' in r.text, page
        assert "tracker" in r.text.lower()


@pytest.fixture
def flow_client(app_factory, sqlite_database: TestDatabase, tmp_path: Path) -> TestClient:
    tracker = write_tracker_db(tmp_path / "tracker.db", *flow_customers(at(24, 9)))
    shutil.copytree(ROOT / "bot/flows", tmp_path / "flows")
    client = app_factory(sqlite_database, tracker_db_url=tracker, bot_flows_dir=tmp_path / "flows")
    add_staff(sqlite_database.url)
    assert login(client).status_code == 303
    return client


def test_flow_answers_not_understood_are_taught_after_seeing_the_diff(flow_client: TestClient, tmp_path: Path) -> None:
    page = flow_client.get("/staff/inbox", params=RANGE).text
    assert 'id="flow-answers"' in page and "“Is it just this device?”" in page
    laptop = r'<div class="group" id="g-([0-9a-f]{10})">\s*<h4>“(just the one laptop thing|only the one laptop)”'
    found = re.search(laptop, page)
    assert found
    gid = found.group(1)
    assert "chose “Only this device” right after" in page
    assert re.search(r'<option value="one" selected>Only this device</option>', page)  # the hint, preselected
    bank = tmp_path / "flows/questions.yml"
    before = bank.read_text(encoding="utf-8")
    token = csrf_from(page)
    form = RANGE | {"option": "one", "csrf_token": token}
    preview = flow_client.post(f"/staff/inbox/flow/{gid}/variants", data=form)
    assert (
        preview.status_code == 200 and 'class="added"' in preview.text and "just the one laptop thing" in preview.text
    )
    assert bank.read_text(encoding="utf-8") == before  # nothing written before the confirmation
    saved = flow_client.post(f"/staff/inbox/flow/{gid}/variants", data=form | {"confirm": "yes"})
    assert saved.status_code == 200 and saved.url.path == "/staff/inbox"
    assert "Added 2 answers to option &#39;one&#39;" in saved.text and "next turn" in saved.text
    said = load_flows(bank.parent).questions["scope"].options["one"].say
    assert {"just the one laptop thing", "only the one laptop"} <= set(said)
    assert f'id="g-{gid}"' not in saved.text  # taught: it leaves the inbox
    # noise: the group goes, and a second click finds nothing
    house = re.search(
        r'<div class="group" id="g-([0-9a-f]{10})">\s*<h4>“(the whole house|whole house really)”', saved.text
    )
    assert house
    r = flow_client.post(f"/staff/inbox/flow/{house.group(1)}/noise", data=RANGE | {"csrf_token": token})
    assert r.status_code == 200 and "as noise" in r.text and f'id="g-{house.group(1)}"' not in r.text
    r = flow_client.post(f"/staff/inbox/flow/{house.group(1)}/noise", data=RANGE | {"csrf_token": token})
    assert r.status_code == 404
    refused = flow_client.post(f"/staff/inbox/flow/{gid}/variants", data=RANGE | {"option": "one"})
    assert refused.status_code == 403


def test_the_analytics_show_in_flow_misunderstandings_and_where_customers_get_stuck(flow_client: TestClient) -> None:
    page = flow_client.get("/staff/analytics", params=RANGE).text
    assert "83.3% 5 of 6" in row(page, "flow_not_understood_rate")
    stuck = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.split('id="stuck-questions"', 1)[1].split("</table>")[0]))
    assert "Is it just this device? (scope) 6 83.3% (5) 33.3% (2) 16.7% (1)" in stuck
