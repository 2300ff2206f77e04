"""`python -m insights` on a hand-made tracker store (SQLite, and PostgreSQL for the reader) and a
tickets database made by the handoff service's own models: the figures, the inbox, the two writer
actions on copies of the data, and clear errors for bad input."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert
from sqlalchemy.orm import Session

from handoff_api.models import Base, Ticket
from insights.__main__ import main
from insights.conversations import NLU_FALLBACK, fold
from insights.handoff_reasons import NO_TICKET, attach_handoff_reasons
from insights.tracker_events import EVENTS, read_events, read_only_engine
from kb_index.loading import parse_article
from tests.insights.events import Chat, at, flow_customers, the_mix, write_tracker_db
from tests.services import service_unreachable

ROOT = Path(__file__).resolve().parents[2]
PG_SERVER = os.environ.get("TIER0_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def tickets_db(path: Path, tickets: list[tuple[str, str, str, dt.datetime]]) -> str:
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        for ticket_id, conversation, reason, created in tickets:
            session.add(Ticket(id=ticket_id, conversation_id=conversation, reason=reason, created_at=created))
        session.commit()
    engine.dispose()
    return url


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The mix of tests/insights/events.py in a tracker store, its tickets, and copies of the
    NLU data and a drafts folder; the working folder has no .env."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "bot/data/nlu", tmp_path / "nlu")
    monkeypatch.setenv("TRACKER_DB_URL", write_tracker_db(tmp_path / "tracker.db", *the_mix()))
    tickets = [("NIM-000004", "dan", "customer_asked", at(24, 12)), ("NIM-000005", "eve", "low_confidence", at(24, 13))]
    monkeypatch.setenv("DATABASE_URL", tickets_db(tmp_path / "handoff.db", tickets))
    monkeypatch.setenv("NLU_DATA_DIR", str(tmp_path / "nlu"))
    monkeypatch.setenv("KB_DRAFTS_DIR", str(tmp_path / "drafts"))
    monkeypatch.setenv("KB_SOURCE_DIR", str(ROOT / "kb/articles"))
    monkeypatch.setenv("BUSINESS_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("HANDOFF_API_URL", "http://staff.example")
    for name in ("INSIGHTS_LOW_CONFIDENCE", "INSIGHTS_GROUP_SIMILARITY", "DOMAIN_PATH", "RASA_CONFIG_PATH"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_analytics_json_and_text(env: Path, capsys) -> None:
    code, out, _ = run(capsys, "analytics", "--from", "2026-11-24", "--to", "2026-11-25", "--json")
    assert code == 0
    figures = json.loads(out)
    assert figures["conversations"] == 9 and figures["containment_rate"]["numerator"] == 5
    assert {k: v["numerator"] for k, v in figures["handoff_by_reason"].items()} == {
        "customer_asked": 1,
        "low_confidence": 1,
    }
    assert figures["fcr_rate"]["numerator"] == 3 and figures["csat"]["average"] == 4.0
    # fallbacks (eve, fay), out of scope (gus): three groups
    assert sorted(g["count"] for g in figures["top_unanswered"]) == [1, 1, 1]
    assert figures["definitions"]["containment_rate"]["label"] == "Containment (deflection) rate"
    code, out, _ = run(capsys, "analytics", "--from", "2026-11-24", "--to", "2026-11-25")
    assert code == 0 and "Containment (deflection) rate" in out and "83.3%  (5 of 6)" in out
    assert "customer asked" in out and "Definitions:" in out


def test_inbox_assign_and_kb_stub(env: Path, capsys) -> None:
    code, out, _ = run(capsys, "inbox", "--from", "2026-11-24", "--to", "2026-11-25", "--json")
    assert code == 0
    groups = {g["label"]: g for g in json.loads(out)["groups"]}
    assert set(groups) == {"qwx vrrp", "zorp glax", "can you recommend a pizza place"}
    pizza = groups["can you recommend a pizza place"]
    assert pizza["conversations"][0]["link"].startswith("http://staff.example/staff/conversations/gus#e")
    out_of_scope = env / "nlu/out_of_scope.yml"
    before = out_of_scope.read_text()
    code, out, _ = run(
        capsys, "inbox", "--from", "2026-11-24", "--to", "2026-11-25", "assign", pizza["id"], "out_of_scope"
    )
    assert code == 0 and f"Added 1 example to {out_of_scope} (intent out_of_scope)" in out
    assert out_of_scope.read_text().replace("    - can you recommend a pizza place\n", "", 1) == before
    # dealt with: the inbox no longer lists it, and assigning again writes nothing
    code, out, _ = run(capsys, "inbox", "--from", "2026-11-24", "--to", "2026-11-25", "--json")
    assert json.loads(out)["handled"] == 1 and "pizza" not in out
    code, out, _ = run(capsys, "inbox", "--from", "2026-11-24", "--to", "2026-11-25")
    gid = groups["zorp glax"]["id"]
    assert code == 0 and f"[{gid}] 1 x 'zorp glax'  (last 2026-11-25 09:00; nlu_fallback 1)" in out
    assert "-> http://staff.example/staff/conversations/fay#e" in out
    # needs a KB article: a stub kb_index accepts; the group then leaves the inbox
    code, out, _ = run(capsys, "inbox", "kb-stub", gid, "--from", "2026-11-24", "--to", "2026-11-25")
    assert code == 0 and "KB article stub written" in out
    (stub,) = (env / "drafts").glob("*.md")
    article = parse_article(stub)
    assert article.questions == ("zorp glax",) and article.title == "Zorp glax"
    assert f"source_inbox_group: {gid}" in stub.read_text()
    code, _, err = run(capsys, "inbox", "kb-stub", gid, "--from", "2026-11-24", "--to", "2026-11-25")
    assert code == 1 and f"no inbox group {gid!r}" in err and len(list((env / "drafts").glob("*.md"))) == 1


def test_bad_input_gets_a_clear_error(env: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run(capsys, "analytics", "--from", "2026-11-31", "--to", "2026-12-01")
    assert code == 2 and "from '2026-11-31' is not a date; write it as YYYY-MM-DD" in err
    code, _, err = run(capsys, "analytics", "--from", "2026-11-25", "--to", "2026-11-24")
    assert code == 2 and "from (2026-11-25) is after to (2026-11-24)" in err
    code, _, err = run(capsys, "inbox", "--from", "2026-11-24", "--to", "2026-11-25", "assign", "0000000000", "greet")
    assert code == 1 and "error: no inbox group '0000000000'" in err
    code, _, err = run(capsys, "inbox", "--from", "2026-11-24", "--to", "2026-11-25", "assign", "0000000000", "nope")
    assert code == 1 and "intent 'nope' is not in domain.yml" in err
    code, _, err = run(capsys, "inbox", "kb-stub")
    assert code == 2 and "group_id" in err
    monkeypatch.setenv("TRACKER_DB_URL", f"sqlite:///{env / 'missing.db'}")
    code, _, err = run(capsys, "inbox")
    assert code == 1 and "no such database file" in err and not (env / "missing.db").exists()


def test_the_command_runs_as_a_module(env: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "insights", "analytics", "--from", "2026-11-24", "--to", "2026-11-25", "--json"],
        capture_output=True,
        text=True,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["conversations"] == 9


def test_a_reference_from_the_outbox_finds_the_ticket_made_later(tmp_path: Path) -> None:
    chat = Chat("kim", at(24)).session().user("blah", NLU_FALLBACK, 0.2).hand_over("REF-ABC234")
    chat.wait(hours=2).session().user("talk to a person", "request_human").hand_over("NIM-222222")
    chat.wait(hours=2).session().user("and again", "request_human").hand_over("REF-XYZ789")
    # the REF- escalation became NIM-111111 ten minutes later; the last one never arrived
    url = tickets_db(
        tmp_path / "t.db",
        [
            ("NIM-111111", "kim", "low_confidence", at(24) + dt.timedelta(minutes=10)),
            ("NIM-222222", "kim", "customer_asked", at(24, 12)),
        ],
    )
    conversations = fold(chat.events, 0.2)
    attach_handoff_reasons(conversations, read_only_engine(url))
    assert [c.handoff_reasons for c in conversations] == [["low_confidence"], ["customer_asked"], [NO_TICKET]]


def test_the_reader_on_postgresql(pg_server: str) -> None:
    import psycopg

    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    # As Rasa's endpoints.yml names it: no driver in the URL.
    url = f"{pg_server}?options=-csearch_path%3D{schema}"
    try:
        writer = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        EVENTS.metadata.create_all(writer)
        chats = the_mix()
        with writer.begin() as conn:
            conn.execute(
                insert(EVENTS),
                [
                    {
                        "sender_id": e.conversation_id,
                        "type_name": e.type_name,
                        "timestamp": e.timestamp,
                        "data": json.dumps(e.data),
                    }
                    for e in sorted((e for c in chats for e in c.events), key=lambda e: e.id)
                ],
            )
        writer.dispose()
        events = read_events(read_only_engine(url), at(24) - dt.timedelta(hours=1), at(25, 23))
        assert {e.conversation_id for e in events} == {"ann", "ben", "cat", "dan", "eve", "fay", "gus", "hal", "ivy"}
        assert [(e.conversation_id, e.id) for e in events] == sorted((e.conversation_id, e.id) for e in events)
        assert len(fold(events, 0.2)) == 9
    finally:
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="session")
def pg_server() -> str:
    import psycopg

    try:
        with psycopg.connect(PG_SERVER, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # the reason, as tests/handoff_api does
        service_unreachable(f"PostgreSQL at {PG_SERVER} is unreachable: {str(exc).strip()[:200]}")
    return PG_SERVER


def test_flow_answers_from_the_shell_diff_first_then_written(
    env: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_DB_URL", write_tracker_db(env / "flows-tracker.db", *flow_customers(at(24, 9))))
    shutil.copytree(ROOT / "bot/flows", env / "flows")
    monkeypatch.setenv("BOT_FLOWS_DIR", str(env / "flows"))
    code, out, _ = run(capsys, "inbox", "--from", "2026-11-24", "--to", "2026-11-24", "--json")
    (section,) = json.loads(out)["flow_questions"]
    assert code == 0 and section["question"] == "scope" and section["flows"] == ["wifi_dropout"]
    laptop = next(g for g in section["groups"] if "only the one laptop" in [m["text"] for m in g["messages"]])
    assert laptop["then_chose"] == {"Only this device": 2}
    code, out, _ = run(capsys, "inbox", "--from", "2026-11-24", "--to", "2026-11-24")
    assert code == 0 and "Not understood as an answer to 'Is it just this device?' [scope] (wifi_dropout)" in out
    bank = env / "flows/questions.yml"
    before = bank.read_text(encoding="utf-8")
    args = ("inbox", "--from", "2026-11-24", "--to", "2026-11-24", "variants", laptop["id"], "Only this device")
    code, out, _ = run(capsys, *args)
    assert code == 0 and "+" in out and "Would add 2 answers" in out and "--yes" in out
    assert bank.read_text(encoding="utf-8") == before
    code, out, _ = run(capsys, *args, "--yes")
    assert code == 0 and "Added 2 answers to option 'one'" in out and bank.read_text(encoding="utf-8") != before
    code, _, err = run(capsys, *args, "--yes")
    assert code == 1 and "no unmatched-answer group" in err  # taught: no longer in the inbox
    code, out, _ = run(capsys, "inbox", "--from", "2026-11-24", "--to", "2026-11-24", "--json")
    house = json.loads(out)["flow_questions"][0]["groups"][0]["id"]
    code, out, _ = run(capsys, "inbox", "--from", "2026-11-24", "--to", "2026-11-24", "noise", house)
    assert code == 0 and "as noise" in out and (env / "flows/noise.yml").is_file()
