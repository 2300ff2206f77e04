"""What the stores keep: Rasa's tracker rows hold no password phrase, card number or licence key a
customer typed, whatever the phrasing; every data file is owner-only (0600)."""

from __future__ import annotations

import sqlite3
import stat
from contextlib import closing
from pathlib import Path

import pytest

from tests.e2e.rest_chat import Chat

pytestmark = pytest.mark.e2e

PASSWORD = "Tr0ub4dor&3horse"
CARD = "4111 1111 1111 1111"
KEY = "NMB8X-3LD7Q-W4K9M-2RV5T"  # the demo tenant's key that is in use on both seats


def tracker_rows(stack, sender: str) -> str:
    with closing(sqlite3.connect(stack.workdir / "tracker.db")) as db:
        rows = db.execute("select * from events where sender_id = ?", (sender,)).fetchall()
    return "\n".join(str(cell) for row in rows for cell in row)


def test_tracker_rows_hold_no_password_card_number_or_licence_key(stack) -> None:
    chat = Chat(stack, "stored")
    chat.say(f"I can't log in, the password I used was {PASSWORD}")
    chat.say(f"also I was charged twice on my card {CARD}")
    chat = Chat(stack, "stored-key")
    chat.say("I need to activate my license key on my new laptop")
    reply = chat.say(f"my key is {KEY.lower()}")
    assert "already in use" in reply and "Shall I?" in reply  # both seats taken (whichever computers)
    assert "one-time code" in chat.say("yes please")  # the key is needed again after verification
    chat.say("sam@example.com")
    reply = chat.say(chat.code("sam@example.com"))
    assert "released the seat on" in reply and "activated" in reply  # the sealed key still worked
    stored = tracker_rows(stack, "stored") + tracker_rows(stack, chat.conversation_id)
    stored += "\n".join(tracker_rows(stack, s) for s in _conversation_ids(stack, "stored-"))
    for secret in (PASSWORD, CARD, CARD.replace(" ", ""), KEY, KEY.lower(), KEY.replace("-", "")):
        assert secret not in stored, secret
    assert "[license key]" in stored and "[password]" in stored and "[card number]" in stored


def _conversation_ids(stack, prefix: str) -> list[str]:
    with closing(sqlite3.connect(stack.workdir / "tracker.db")) as db:
        return [
            r[0] for r in db.execute("select distinct sender_id from events where sender_id like ?", (prefix + "%",))
        ]


def test_every_file_with_conversations_or_secrets_is_owner_only(stack) -> None:
    chat = Chat(stack, "modes")
    chat.say("I forgot my password")
    chat.say("alex@example.com")  # a code mail, an accounts row, a rate-limit count
    chat.say("talk to a person")  # a ticket, an outbox row
    files = [p for p in Path(stack.workdir).rglob("*") if p.is_file()]
    assert any(p.suffix == ".eml" for p in files) and any(p.name == "tracker.db" for p in files)
    loose = {str(p.relative_to(stack.workdir)): oct(stat.S_IMODE(p.stat().st_mode)) for p in files}
    loose = {name: mode for name, mode in loose.items() if int(mode, 8) & 0o077}
    assert not loose, f"readable by others: {loose}"
