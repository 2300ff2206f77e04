"""Hand-made tracker events, shaped as Rasa 3.6 stores them (the `events` table: conversation_id,
type_name, timestamp, intent_name, action_name, data = the event as JSON), for the insights tests."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, insert

from insights.conversations import NLU_FALLBACK
from insights.tracker_events import EVENTS, TrackerEvent

_ids = itertools.count(1)
BERLIN = ZoneInfo("Europe/Berlin")


class Chat:
    """One sender's events; every call advances the clock by a few seconds."""

    def __init__(self, sender: str, start: dt.datetime) -> None:
        self.conversation_id = sender
        self.now = start
        self.events: list[TrackerEvent] = []

    def _add(self, kind: str, **data: Any) -> Chat:
        self.now += dt.timedelta(seconds=2)
        body = {"event": kind, "timestamp": self.now.timestamp(), **data}
        self.events.append(TrackerEvent(next(_ids), self.conversation_id, kind, self.now.timestamp(), body))
        return self

    def wait(self, **delta: float) -> Chat:
        self.now += dt.timedelta(**delta)
        return self

    def session(self) -> Chat:
        self._add("action", name="action_session_start")
        self._add("session_started")
        return self._add("action", name="action_listen")

    def user(
        self,
        text: str,
        intent: str,
        confidence: float = 0.95,
        ranking: list[tuple[str, float]] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Chat:
        ranking = ranking or [(intent, confidence)]
        parse = {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": [],
            "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
        }
        return self._add("user", text=text, parse_data=parse, input_channel="rest", metadata=metadata or {})

    def bot(self, text: str, buttons: list[str] = ()) -> Chat:  # type: ignore[assignment]
        return self._add("bot", text=text, data={"buttons": [{"title": b, "payload": b} for b in buttons]})

    def action(self, name: str) -> Chat:
        return self._add("action", name=name)

    def slot(self, name: str, value: Any) -> Chat:
        return self._add("slot", name=name, value=value)

    def loop(self, name: str | None) -> Chat:
        return self._add("active_loop", name=name)

    # --- whole exchanges, as the bot's actions produce them ---------------------------------
    def kb_answer(self, question: str, article: str = "share-files", confidence: float = 0.98) -> Chat:
        self.user(question, "ask_howto", confidence).action("action_answer_from_kb")
        self.bot(f"From our help article {article}", ["Yes, that helped", "No"])
        self.slot("kb_articles_shown", [article]).slot("kb_current", {"article_id": article, "title": article})
        return self.slot("kb_next", []).action("action_listen")

    def kb_miss(self, question: str) -> Chat:
        self.user(question, "ask_howto").action("action_answer_from_kb")
        self.bot("I don't have a help article for that.", ["Talk to a person"])
        self.slot("handoff_reason", "no_kb_answer").slot("kb_current", None)
        self.slot("kb_miss", {"nearest": "app-freezes", "best_score": 0.18, "min_score": 0.41})
        return self.action("action_listen")

    def kb_feedback(self, helped: bool, article: str = "share-files", earlier: list | None = None) -> Chat:
        self.user("/affirm" if helped else "/deny", "affirm" if helped else "deny", 1.0)
        self.action("action_kb_feedback").bot("Great, glad that helped!" if helped else "Sorry.")
        outcome = "helped" if helped else "did not help"
        entry = {"article_id": article, "title": article, "outcome": outcome, "at": self.now.isoformat()}
        self.slot("kb_feedback", [*(earlier or []), entry]).slot("kb_current", None)
        return self.slot("resolved", helped)

    def ask_rating(self) -> Chat:
        self.action("csat_form").loop("csat_form").slot("requested_slot", "csat")
        return self.bot("Was this chat helpful? 1-5", ["1", "2", "3", "4", "5"]).action("action_listen")

    def rate(self, score: int, before: list[int] | None = None) -> Chat:
        self.user(str(score), "affirm", 0.4).action("csat_form").slot("csat", str(score))
        self.slot("requested_slot", None).loop(None).action("action_record_csat").bot("Thanks for your feedback!")
        self.slot("csat_scores", [*(before or []), score]).slot("csat", None).slot("resolved", None)
        return self.action("action_listen")

    def hand_over(self, ticket: str) -> Chat:
        self.action("action_handoff").bot(f"Your ticket number is {ticket}.")
        return self.slot("handoff_ticket_id", ticket).slot("handoff_reason", None).action("action_listen")


def all_events(*chats: Chat) -> list[TrackerEvent]:
    """In the order read_events returns them: by sender, then by id."""
    return sorted((e for c in chats for e in c.events), key=lambda e: (e.conversation_id, e.id))


def write_tracker_db(path: Path, *chats: Chat) -> str:
    """A SQLite tracker store with these events (Rasa's table layout); returns its URL."""
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    EVENTS.metadata.create_all(engine)
    rows = [
        {
            "sender_id": e.conversation_id,
            "type_name": e.type_name,
            "timestamp": e.timestamp,
            "intent_name": ((e.data.get("parse_data") or {}).get("intent") or {}).get("name"),
            "action_name": e.data.get("name") if e.type_name == "action" else None,
            "data": json.dumps(e.data),
        }
        for e in sorted((e for c in chats for e in c.events), key=lambda e: e.id)
    ]
    with engine.begin() as conn:
        conn.execute(insert(EVENTS), rows)
    engine.dispose()
    return url


# --- a mix of conversations whose figures are known (test_insights_metrics, test_insights_cli) ---
def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, 0, tzinfo=BERLIN)


def resolved_by_a_step(chat: Chat, problem: str, intent: str) -> Chat:
    chat.user(problem, intent).action("action_troubleshoot_step").bot("Step 1 ... Did that fix it?")
    return chat.user("/affirm", "affirm", 1.0).action("action_step_outcome").slot("resolved", True)


def the_mix() -> list[Chat]:
    ann = Chat("ann", at(24)).session().kb_answer("how do I share a file").kb_feedback(True)
    ann.ask_rating().rate(5)
    ben = Chat("ben", at(24, 11)).session().kb_answer("restore deleted files").kb_feedback(True)
    ben.ask_rating().rate(3)
    ben.wait(days=3).session().user("my printer is offline", "printer_issue")  # back within 7 days
    cat = resolved_by_a_step(Chat("cat", at(25)).session(), "I have no internet", "no_internet")
    cat.ask_rating().user("thanks!", "thank").action("action_skip_rating")
    dan = Chat("dan", at(24, 12)).session().user("my printer won't print", "printer_issue")
    dan.user("I want a person", "request_human").hand_over("NIM-000004")
    eve = Chat("eve", at(24, 13)).session().user("qwx vrrp", NLU_FALLBACK, 0.2).action("action_clarify")
    eve.user("/nlu_fallback", NLU_FALLBACK, 1.0).hand_over("NIM-000005")
    fay = Chat("fay", at(25, 9)).session().user("zorp glax", NLU_FALLBACK, 0.2).action("action_clarify")
    gus = Chat("gus", at(25, 14)).session().user("can you recommend a pizza place", "out_of_scope", 0.99)
    hal = Chat("hal", at(24, 15)).session().slot("verified_email", "hal@example.com")
    hal.kb_answer("how do I export my data").kb_feedback(True)
    # The same customer from another device, verified with the same email, two days later.
    hal_phone = Chat("hal-phone", at(26)).session().slot("verified_email", "hal@example.com")
    hal_phone.user("my app crashes", "app_crash")
    ivy = resolved_by_a_step(Chat("ivy", at(25, 16)).session(), "my laptop is so slow", "slow_device")
    ivy.wait(days=8).session().user("hello again", "greet")  # after the 7 days: still first contact
    before = Chat("zed", at(23)).session().user("my wifi drops", "wifi_dropout")  # before the range
    return [ann, ben, cat, dan, eve, fay, gus, hal, hal_phone, ivy, before]


# --- troubleshooting questions, as bot/actions/diagnosis.py records them -----------------------
WHERE = {"one": "Only this device", "all": "Every device"}


def ask(chat: Chat, question: str = "scope", times: int = 1, text: str = "Is it just this device?") -> Chat:
    chat.action(f"action_ask_q_{question}").bot(text, list(WHERE.values()))
    return chat.slot("open_question", {"question": question, "times": times}).action("action_listen")


def not_understood(chat: Chat, text: str, question: str = "scope", flow: str = "wifi_dropout", times: int = 1) -> Chat:
    """The customer's answer matched no option: the validation records it and asks again."""
    chat.user(text, "inform", 0.5).action("validate_diagnosis_form")
    record = {
        "question": question,
        "asked": "Is it just this device?",
        "options": WHERE,
        "text": text,
        "flow": flow,
        "answer_slot": f"q_{question}",
    }
    chat.slot("answer_not_understood", record).slot("open_question", {"question": question, "times": times})
    chat.bot("Sorry, I didn't catch that. Tap one of the options.")  # the count was set again, unchanged
    return ask(chat, question, times=times + 1)


def answered(chat: Chat, text: str, value: str, question: str = "scope") -> Chat:
    chat.user(text, "inform", 0.6).action("validate_diagnosis_form")
    return chat.slot(f"q_{question}", value).action("action_listen")


def flow_customers(t0: dt.datetime = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.timezone.utc)) -> list[Chat]:
    """Six customers at the Wi-Fi flow's "just this device?": unmatched answers, then a tap, a
    rephrasing that is understood, another miss, a request for a person, leaving, and one who
    answered at once."""
    start = Chat("tap", t0).session().user("my wifi keeps dropping", "wifi_dropout").slot("ts_flow", "wifi_dropout")
    ask(start, "scope")
    not_understood(start, "just the one laptop thing")
    answered(start, "Only this device", "one")  # tapped the button: its title is the message
    typed = Chat("typed", t0 + dt.timedelta(minutes=5)).session().slot("ts_flow", "wifi_dropout")
    ask(typed, "scope")
    not_understood(typed, "only the one laptop")
    answered(typed, "only this one", "one")
    again = Chat("again", t0 + dt.timedelta(minutes=10)).session().slot("ts_flow", "wifi_dropout")
    ask(again, "scope")
    not_understood(again, "the whole house")
    not_understood(again, "whole house really", times=2)
    person = Chat("person", t0 + dt.timedelta(minutes=15)).session().slot("ts_flow", "wifi_dropout")
    ask(person, "scope")
    not_understood(person, "the whole flat")
    person.user("can I talk to someone", "request_human").hand_over("NIM-000001")
    gone = Chat("gone", t0 + dt.timedelta(minutes=20)).session().slot("ts_flow", "wifi_dropout")
    ask(gone, "scope")
    not_understood(gone, "asdfgh")
    fine = Chat("fine", t0 + dt.timedelta(minutes=25)).session().slot("ts_flow", "wifi_dropout")
    ask(fine, "scope")
    answered(fine, "Only this device", "one")
    return [start, typed, again, person, gone, fine]
