"""bot/actions/handoff_outbox.py with a real SQLite file and a real HTTP service standing in for
the handoff API (the API itself is tested in tests/handoff_api/; the full journey with a stopped and
restarted service is in tests/e2e/test_answers_and_escalation.py)."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from accounts.settings import AccountSettings
from bot.actions.handoff_outbox import HandoffOutbox, deliver
from bot.actions.settings import ActionSettings

PAYLOAD = {"conversation_id": "c-1", "reason": "customer_asked", "transcript": []}


class FakeHelpDesk(BaseHTTPRequestHandler):
    """Answers with the queued status codes, then 201; records the idempotency keys it saw."""

    answers: list[int] = []
    keys: list[str] = []

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        FakeHelpDesk.keys.append(self.headers["Idempotency-Key"])
        status = FakeHelpDesk.answers.pop(0) if FakeHelpDesk.answers else 201
        body = {"id": "NIM-123456", "pickup_message": "A person will pick this up soon."} if status == 201 else {}
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())

    def log_message(self, *args) -> None:  # noqa: ANN002
        pass


@pytest.fixture
def service():
    FakeHelpDesk.answers, FakeHelpDesk.keys = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeHelpDesk)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def settings_for(url: str, tmp_path: Path) -> ActionSettings:
    return ActionSettings(
        handoff_api_url=url,
        handoff_outbox_path=tmp_path / "outbox.db",
        handoff_timeout_seconds=2,
        handoff_bot_token="t" * 32,
        _env_file=None,
    )


def test_reference_is_readable_and_the_escalation_survives_a_new_process(tmp_path: Path) -> None:
    outbox = HandoffOutbox(tmp_path / "outbox.db")
    escalation = outbox.add(PAYLOAD)
    assert re.fullmatch(r"REF-[A-HJ-NP-Z2-9]{6}", escalation.reference)
    again = HandoffOutbox(tmp_path / "outbox.db")  # what a restarted action server opens
    assert [e.key for e in again.pending()] == [escalation.key]
    assert again.by_reference(escalation.reference.lower()).payload == PAYLOAD


def test_service_down_then_back_gives_one_ticket_with_one_key(tmp_path: Path, service: str) -> None:
    settings = settings_for("http://127.0.0.1:9", tmp_path)  # nothing listens on port 9
    outbox = HandoffOutbox(settings.handoff_outbox_path, backoff_base=0.01)
    escalation = asyncio.run(deliver(outbox, outbox.add(PAYLOAD), settings))
    assert escalation.state == "pending" and escalation.attempts == 1 and "ConnectError" in escalation.last_error

    FakeHelpDesk.answers = [503]
    settings = settings_for(service, tmp_path)
    escalation = asyncio.run(deliver(outbox, escalation, settings))
    assert escalation.state == "pending" and escalation.last_error.startswith("HTTP 503")
    escalation = asyncio.run(deliver(outbox, escalation, settings))
    assert escalation.state == "delivered" and escalation.ticket_id == "NIM-123456"
    assert FakeHelpDesk.keys == [escalation.key, escalation.key]
    assert outbox.due(now=10**10) == []


def test_backoff_grows_and_a_refused_body_is_kept_not_retried(tmp_path: Path, service: str) -> None:
    outbox = HandoffOutbox(tmp_path / "outbox.db", backoff_base=10, backoff_max=40)
    escalation = outbox.add(PAYLOAD)
    waits = []
    for _ in range(4):
        outbox.failed(escalation.key, "down")
        with outbox._db() as db:
            waits.append(db.execute("SELECT next_attempt_at - strftime('%s','now') FROM escalations").fetchone()[0])
    assert 6 < waits[0] < 14 and 14 < waits[1] < 26 and 30 < waits[2] < 50 and 30 < waits[3] < 50

    # Refused: the essentials are sent again with an alert; refused again, it is kept, not retried.
    FakeHelpDesk.answers = [422, 422]
    refused = asyncio.run(deliver(outbox, outbox.add(PAYLOAD), settings_for(service, tmp_path)))
    assert refused.state == "rejected" and "HTTP 422" in refused.last_error and refused.payload["alert"]
    FakeHelpDesk.answers = [422]
    saved = asyncio.run(deliver(outbox, outbox.add(PAYLOAD), settings_for(service, tmp_path)))
    assert saved.state == "delivered" and "refused (HTTP 422" in saved.payload["alert"]
    assert refused.key not in [e.key for e in outbox.due(now=10**10)]


def test_retention_empties_old_settled_escalations_and_deletes_old_mail(tmp_path: Path) -> None:
    import os
    import time

    from accounts.mail import Mailer
    from bot.actions.handoff_outbox import purge_old

    settings = ActionSettings(_env_file=None, handoff_outbox_path=tmp_path / "outbox.db")
    mail = AccountSettings(_env_file=None, mail_outbox_dir=tmp_path / "mail")
    outbox = HandoffOutbox(settings.handoff_outbox_path)
    old, pending, recent = (outbox.add(PAYLOAD | {"summary": s}) for s in ("old", "pending", "recent"))
    outbox.delivered(old.key, "NIM-111111", None)
    outbox.delivered(recent.key, "NIM-222222", None)
    mailer = Mailer(mail)
    old_mail = mailer.send("alex@example.com", "Your code", "123456")
    new_mail = mailer.send("alex@example.com", "Your code", "654321")
    eight_days_ago = time.time() - 8 * 86400
    os.utime(old_mail, (eight_days_ago, eight_days_ago))
    with outbox._db() as db:
        db.execute("UPDATE escalations SET created_at = ? WHERE key IN (?, ?)", (eight_days_ago, old.key, pending.key))

    assert purge_old(outbox, settings, mail.mail_outbox_dir) == (1, 1)
    assert outbox.get(old.key).payload == {}
    assert outbox.by_reference(old.reference).ticket_id == "NIM-111111"  # status by reference still works
    assert outbox.get(pending.key).payload["summary"] == "pending"  # not delivered yet: kept
    assert outbox.get(recent.key).payload["summary"] == "recent"
    assert not old_mail.exists() and new_mail.exists()
    assert oct(new_mail.stat().st_mode & 0o777) == "0o600"
    assert oct(settings.handoff_outbox_path.stat().st_mode & 0o777) == "0o600"


def test_a_customer_whose_escalation_is_refused_for_good_is_told_so(
    tmp_path: Path, service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from bot.actions import handoff

    settings = settings_for(service, tmp_path)
    monkeypatch.setattr(handoff, "get_outbox", lambda: HandoffOutbox(settings.handoff_outbox_path))
    monkeypatch.setattr(handoff, "asked_again", lambda tracker: False)
    monkeypatch.setattr(handoff, "flood_count", lambda tracker: None)
    monkeypatch.setattr("bot.actions.handoff_outbox.get_settings", lambda: settings)
    FakeHelpDesk.answers = [422, 422]  # the ticket and its last-resort copy
    tracker = Tracker("c-9", {}, {}, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(handoff.hand_over(dispatcher, tracker, reason="customer_asked"))
    said = " ".join(m.get("text") or "" for m in dispatcher.messages)
    assert "refused your request" in said and "has not reached a person" in said
    assert "saved your request" not in said and "ticket number" not in said
