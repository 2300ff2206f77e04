"""Custom actions run against real rasa_sdk trackers and the demo account backend on SQLite.

The paths that create tickets are covered end to end (tests/e2e/test_flows.py); these check the
decisions: which question, which step, what is verified, what the customer is told.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from accounts import reset_backend
from accounts.demo import DemoAccountBackend
from accounts.mail import read_outbox
from accounts.settings import AccountSettings
from bot.actions import limits
from bot.actions.account_tasks import ActionRunAccountTask
from bot.actions.confirmation import ActionAskConfirmed, ActionConfirmed, ValidateConfirmForm
from bot.actions.diagnosis import ASK_ACTIONS, ValidateDiagnosisForm
from bot.actions.licensing import ActionActivateLicense, ValidateActivationForm
from bot.actions.troubleshooting import (
    ActionAskStepOutcome,
    ActionStartTroubleshooting,
    ActionStepOutcome,
    ValidateStepForm,
)
from bot.actions.verification import VERIFIED, ActionBeginAccountTask, ValidateVerifyForm
from bot.actions.wording_and_rating import ActionClarify, ActionSessionStart, ActionSetDetailLevel, parse_rating
from common.rate_limits import RateLimiter

DOMAIN: dict[str, Any] = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text())
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture(autouse=True)
def own_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RateLimiter:
    """Rate limits counted in this test's own database (the shared one would carry over)."""
    limiter = RateLimiter.from_url(f"sqlite:///{tmp_path}/rate_limits.db")
    monkeypatch.setattr(limits, "limiter", lambda: limiter)
    return limiter


@pytest.fixture
def backend(tmp_path: Path):
    settings = AccountSettings(accounts_db_path=tmp_path / "accounts.db", mail_outbox_dir=tmp_path / "outbox")
    clock = Clock()
    demo = DemoAccountBackend(settings, clock=clock)
    demo.clock = clock
    reset_backend(demo)
    yield demo
    reset_backend(None)


def grant(backend: DemoAccountBackend, email: str, conversation_id: str = "test-user") -> None:
    """A correct one-time code for `email` in the conversation, as verify_form would check it."""
    backend.send_code(email)
    body = read_outbox(backend.settings.mail_outbox_dir, to=email)[-1].get_body().get_content()
    assert backend.verify_code(email, re.search(r"\b(\d{6})\b", body).group(1), conversation_id).ok


def tracker(
    slots: dict[str, Any] | None = None,
    text: str = "",
    intent: str = "nlu_fallback",
    entities: list[dict] | None = None,
    loop: str | None = None,
    ranking: list[dict] | None = None,
    events: list[dict] | None = None,
) -> Tracker:
    message = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
        "intent_ranking": ranking or [],
    }
    return Tracker(
        "test-user",
        dict(slots or {}),
        message,
        events or [{"event": "user", "text": text, "parse_data": message}],
        False,
        None,
        {"name": loop} if loop else {},
        "action_listen",
    )


def slot_events(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def said(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


async def run(action, t: Tracker) -> tuple[CollectingDispatcher, dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, t, DOMAIN)
    return dispatcher, slot_events(events)


# --- troubleshooting ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kb_index() -> Path:
    from harness.stack import built_test_index

    return built_test_index()


@pytest.fixture
def searcher(kb_index: Path, monkeypatch: pytest.MonkeyPatch):
    """The action server's KB searcher on the real index of kb/articles."""
    from bot.actions.kb import get_searcher

    monkeypatch.setenv("KB_INDEX_DIR", str(kb_index))
    get_searcher.cache_clear()
    yield get_searcher()
    get_searcher.cache_clear()


async def diagnosis_turn(slots: dict[str, Any], text: str, intent: str = "nlu_fallback", ranking=None):
    dispatcher = CollectingDispatcher()
    events = await ValidateDiagnosisForm().run(dispatcher, tracker(slots, text, intent, ranking=ranking), DOMAIN)
    return dispatcher, events, slot_events(events)


async def step_turn(slots: dict[str, Any], text: str, intent: str = "nlu_fallback"):
    dispatcher = CollectingDispatcher()
    events = await ValidateStepForm().run(dispatcher, tracker(slots, text, intent), DOMAIN)
    return dispatcher, events, slot_events(events)


WIFI = {"ts_flow": "wifi_dropout", "requested_slot": "q_scope", "open_question": {"question": "scope", "times": 1}}


async def test_start_prefills_what_the_first_message_already_said() -> None:
    _, slots = await run(
        ActionStartTroubleshooting(),
        tracker({"os": "Windows"}, "wifi drops every evening on my windows laptop, only this one", "wifi_dropout"),
    )
    assert slots["ts_flow"] == "wifi_dropout"
    assert slots["q_os"] == "windows" and slots["q_scope"] == "one" and slots["q_timing"] == "evenings"
    assert slots["q_neighbours"] is None  # still to be asked


async def test_an_angry_first_message_is_acknowledged_and_the_fix_starts(searcher) -> None:
    angry = "THE NIMBUS APP SHUTS ITSELF THE MOMENT I OPEN A FILE ON MY WINDOWS PC!!!"
    dispatcher, slots = await run(ActionStartTroubleshooting(), tracker({}, angry, "app_crash"))
    assert slots["ts_flow"] == "app_crash"  # the crash flow runs, no ticket
    first = dispatcher.messages[0]
    assert "sorry" in first["text"].lower()
    assert {"title": "Talk to a person", "payload": "/request_human"} in first["buttons"]
    calm, _ = await run(ActionStartTroubleshooting(), tracker({}, "the app closes when i open a file", "app_crash"))
    assert "sorry" not in said(calm).lower()


async def test_diagnosis_asks_only_what_still_changes_the_steps() -> None:
    form = ValidateDiagnosisForm()
    t = tracker({"ts_flow": "wifi_dropout", "requested_slot": "q_scope"}, "all of them, every device")
    assert await form.required_slots([], CollectingDispatcher(), t, DOMAIN) == [
        "q_scope", "q_os", "q_timing", "q_neighbours",
    ]  # fmt: skip
    _, _, slots = await diagnosis_turn(WIFI, "all of them, every device")
    assert slots["q_scope"] == "all"
    assert slots["requested_slot"] == "q_timing"  # every device: the Windows-only step is out, so no OS question


async def test_answers_to_questions_not_asked_yet_are_kept() -> None:
    _, _, slots = await diagnosis_turn(WIFI, "just this laptop, windows 11, mostly in the evening")
    assert (slots["q_scope"], slots["q_os"], slots["q_timing"]) == ("one", "windows", "evenings")
    assert slots["requested_slot"] == "q_neighbours"


async def test_a_short_answer_is_an_answer_whatever_the_classifier_says() -> None:
    _, _, slots = await diagnosis_turn(WIFI, "only this", "complain")
    assert slots["q_scope"] == "one"


async def test_an_unmatched_answer_is_asked_once_more_then_the_flow_goes_on_without_it() -> None:
    dispatcher, _, slots = await diagnosis_turn(WIFI, "hmm purple")
    assert "didn't catch" in said(dispatcher)
    assert slots["requested_slot"] == "q_scope" and "q_scope" not in slots
    # Recorded for the review inbox: the question, its options, the flow and what was typed.
    assert slots["answer_not_understood"] == {
        "question": "scope",
        "asked": "Is only this device affected, or every device on the same network?",  # as it was worded
        "options": {"one": "Only this device", "all": "Every device at home"},
        "text": "hmm purple",
        "flow": "wifi_dropout",
        "answer_slot": "q_scope",
    }
    asked_twice = {**WIFI, "open_question": {"question": "scope", "times": 2}}
    dispatcher, _, slots = await diagnosis_turn(asked_twice, "purple again")
    assert slots["q_scope"] == "unknown" and slots["requested_slot"] == "q_os"
    assert "go on without" in said(dispatcher) and slots["answer_not_understood"]["text"] == "purple again"
    # An answer that was understood records nothing.
    _, _, slots = await diagnosis_turn(WIFI, "only this laptop")
    assert "answer_not_understood" not in slots


async def test_the_ask_action_counts_how_often_a_question_was_asked_in_a_row() -> None:
    ask = next(a for a in ASK_ACTIONS if a().name() == "action_ask_q_scope")()
    dispatcher, slots = await run(ask, tracker({"open_question": {"question": "scope", "times": 1}}))
    assert slots["open_question"] == {"question": "scope", "times": 2}
    assert [b["title"] for b in dispatcher.messages[0]["buttons"]] == [
        "Only this device",
        "Every device at home",
        "Not sure",
    ]


async def test_only_a_rewording_the_customer_asked_for_is_not_counted_as_asking_again() -> None:
    """An unmatched answer the NLU happens to read as "explain simpler" ("the computer program") is
    a miss like any other: the question is asked twice, then the flow goes on without it."""
    ask = next(a for a in ASK_ACTIONS if a().name() == "action_ask_q_scope")()
    once = {"open_question": {"question": "scope", "times": 1}}
    said = {"event": "user", "text": "the computer program", "parse_data": {"intent": {"name": "explain_simpler"}}}
    _, slots = await run(ask, tracker(once, "the computer program", "explain_simpler", events=[said]))
    assert slots["open_question"]["times"] == 2
    reworded = [said, {"event": "action", "name": "action_set_detail_level"}]
    _, slots = await run(ask, tracker(once, "simpler please", "explain_simpler", events=reworded))
    assert slots["open_question"]["times"] == 1


async def test_a_request_for_a_person_is_left_to_the_rules() -> None:
    _, events, _ = await diagnosis_turn(WIFI, "get me a human", "request_human")
    assert events == []  # nothing extracted: Rasa's rule for request_human takes the turn


async def test_stop_ends_the_flow_cleanly() -> None:
    dispatcher, events, slots = await diagnosis_turn(WIFI, "stop")
    assert slots["ts_flow"] is None and slots["requested_slot"] is None
    assert any(e.get("event") == "followup" and e.get("name") == "action_listen" for e in events)
    assert "stopped" in said(dispatcher)


async def test_a_correction_leaves_the_flow_and_routes_the_new_problem() -> None:
    ranking = [{"name": "app_crash", "confidence": 0.8}, {"name": "email_sync", "confidence": 0.15}]
    slots = {"ts_flow": "email_sync", "requested_slot": "q_sync_type", "q_app_platform": "mobile"}
    dispatcher, events, after = await diagnosis_turn(
        slots, "no, that's not it. I mean the nimbus app keeps closing on my phone", "app_crash", ranking
    )
    assert after["ts_flow"] is None and after["q_app_platform"] is None
    routed = [e for e in events if e.get("event") == "user"]
    assert routed and routed[0]["parse_data"]["intent"]["name"] == "app_crash"
    assert routed[0]["text"] == "the nimbus app keeps closing on my phone"
    assert {"event": "action", "name": "action_listen", "policy": None, "confidence": None, "timestamp": None} in events
    assert "got that wrong" in said(dispatcher)


async def test_a_side_question_is_answered_and_the_same_question_comes_back(searcher) -> None:
    dispatcher, events, slots = await diagnosis_turn(WIFI, "will restarting the router delete my wifi password?")
    assert slots["requested_slot"] == "q_scope" and "q_scope" not in slots
    assert any((m.get("custom") or {}).get("data", {}).get("tier0", {}).get("citation") for m in dispatcher.messages)
    assert not any(e.get("event") == "user" for e in events)


async def test_steps_follow_the_answers_and_the_wording_follows_the_customer() -> None:
    answers = {"q_scope": "one", "q_timing": "evenings", "q_neighbours": "yes", "ts_flow": "wifi_dropout", "ts_step": 0}
    dispatcher, slots = await run(ActionAskStepOutcome(), tracker(answers))
    assert "Change the router's Wi-Fi channel" in said(dispatcher) and "Did that fix it?" in said(dispatcher)
    technical = said(dispatcher)
    shown = {**answers, "ts_shown": slots["ts_shown"]}
    again, _ = await run(ActionAskStepOutcome(), tracker(shown))
    assert said(again) == "Did that fix it?"  # the step is already on screen
    plain, _ = await run(ActionAskStepOutcome(), tracker({**shown, "detail_level": "plain"}))
    assert "Change the router's Wi-Fi channel" in said(plain) and said(plain) != technical  # same step, other words
    _, level = await run(ActionSetDetailLevel(), tracker(intent="explain_simpler"))
    assert level["detail_level"] == "plain"


async def test_technical_wording_can_be_asked_for_again() -> None:
    entity = [{"entity": "detail_level", "value": "technical"}]
    _, slots = await run(
        ActionSetDetailLevel(), tracker({"detail_level": "plain"}, intent="explain_simpler", entities=entity)
    )
    assert slots["detail_level"] == "technical"


STEP = {"ts_flow": "wifi_dropout", "q_scope": "all", "ts_step": 0, "requested_slot": "step_outcome"}


async def test_a_failed_step_moves_to_the_next_and_is_recorded() -> None:
    dispatcher, _, slots = await step_turn(STEP, "nope, still dropping")
    assert slots["ts_step"] == 1 and slots["requested_slot"] == "step_outcome"
    assert slots["ts_steps_tried"][0]["outcome"] == "did not fix it" and "next thing" in said(dispatcher)


async def test_a_fixed_step_resolves_the_problem() -> None:
    _, _, slots = await step_turn({**STEP, "ts_step": 1}, "yep that did it", "affirm")
    assert slots["step_outcome"] == "fixed" and slots["requested_slot"] is None
    _, after = await run(ActionStepOutcome(), tracker({**STEP, "ts_step": 1, "step_outcome": "fixed"}))
    assert after["resolved"] is True and after["ts_flow"] is None
    assert after["ts_steps_tried"][-1]["outcome"] == "fixed it"


async def test_no_success_is_assumed_from_an_unclear_answer() -> None:
    dispatcher, _, slots = await step_turn(STEP, "the lights on the router are blue")
    assert "step_outcome" in slots and slots["step_outcome"] is None and "Did the step fix" in said(dispatcher)
    assert slots["answer_not_understood"]["question"] == "step_outcome"
    assert slots["answer_not_understood"]["text"] == "the lights on the router are blue"
    twice = {**STEP, "open_question": {"question": "step_outcome:0", "times": 2}}
    _, _, slots = await step_turn(twice, "the lights are still blue")
    assert slots["ts_step"] == 1  # asked twice: on to the next step, never "glad that fixed it"


async def test_a_side_question_at_a_step_is_answered_and_the_step_stays(searcher) -> None:
    _, events, slots = await step_turn(STEP, "will restarting the router reset my wifi password?")
    assert slots["requested_slot"] == "step_outcome" and "ts_step" not in slots
    assert not any(e.get("event") == "user" for e in events)


async def test_the_last_failed_step_ends_the_steps() -> None:
    path_length = 4  # wifi, every device: restart, placement, router update, ... (bot/flows)
    _, _, slots = await step_turn({**STEP, "ts_step": path_length - 1}, "no")
    assert slots["step_outcome"] == "exhausted" and slots["requested_slot"] is None


# --- verification and account actions ------------------------------------------------------------


def latest_code(backend: DemoAccountBackend, email: str) -> str:
    body = read_outbox(backend.settings.mail_outbox_dir, to=email)[-1].get_body().get_content()
    return re.search(r"\b(\d{6})\b", body).group(1)


async def verify_form_turn(state: dict[str, Any], text: str, intent: str = "nlu_fallback"):
    dispatcher = CollectingDispatcher()
    events = await ValidateVerifyForm().run(dispatcher, tracker(state, text, intent), DOMAIN)
    return said(dispatcher), slot_events(events)


async def test_verification_by_code_from_the_outbox(backend: DemoAccountBackend) -> None:
    state: dict[str, Any] = {"account_task": "reset_password", "requested_slot": "email"}
    reply, slots = await verify_form_turn(state, "it's Alex@Example.com")
    assert slots["email"] == "alex@example.com" and "6-digit code" in reply
    state |= {"email": "alex@example.com", "requested_slot": "otp_code"}
    reply, slots = await verify_form_turn(
        state, "000000" if latest_code(backend, "alex@example.com") != "000000" else "111111"
    )
    assert "isn't right" in reply and slots["otp_code"] is None
    state["otp_failures"] = 1
    reply, slots = await verify_form_turn(state, f"code: {latest_code(backend, 'alex@example.com')}")
    assert slots["otp_code"] == VERIFIED and slots["verified_email"] == "alex@example.com"


@pytest.mark.parametrize("text", ["Send a new code", "can you resend it", "i never got the code"])
async def test_asking_for_a_new_code_sends_one_and_keeps_the_task_in_hand(
    backend: DemoAccountBackend, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    """The button (its payload is its title) and typed requests: the NLU hears a 2FA problem in
    them, yet the password reset goes on, with a new code, and nothing is handed over."""
    nlu_reads(monkeypatch, "two_factor_problem")
    await verify_form_turn({"account_task": "reset_password", "requested_slot": "email"}, "alex@example.com")
    first = latest_code(backend, "alex@example.com")
    state = {"account_task": "reset_password", "email": "alex@example.com", "requested_slot": "otp_code"}
    reply, slots = await verify_form_turn(state, text, "two_factor_problem")
    assert "sent a new code to alex@example.com" in reply and slots["otp_code"] is None
    assert "account_task" not in slots and latest_code(backend, "alex@example.com") != first


async def test_asked_for_an_email_words_the_nlu_reads_as_explain_simpler_are_no_email(
    backend: DemoAccountBackend,
) -> None:
    """Left to the rules, they would be reworded without counting, and the question would come back
    for ever; a real request for simpler words still goes to the rules."""
    state = {"account_task": "reset_password", "requested_slot": "email"}
    reply, slots = await verify_form_turn(state, "the one for the computer program", "explain_simpler")
    assert "look like an email" in reply and slots["email"] is None
    _, slots = await verify_form_turn(state, "can you say that in simpler words", "explain_simpler")
    assert "email" not in slots


async def test_an_unknown_address_gets_the_same_answer_and_no_mail(backend: DemoAccountBackend) -> None:
    reply, _ = await verify_form_turn({"account_task": "unlock", "requested_slot": "email"}, "nobody@example.org")
    assert "If nobody@example.org has a Nimbus account" in reply
    assert read_outbox(backend.settings.mail_outbox_dir, to="nobody@example.org") == []


async def test_three_wrong_codes_end_verification(backend: DemoAccountBackend) -> None:
    await verify_form_turn({"account_task": "unlock", "requested_slot": "email"}, "jordan@example.com")
    state = {"account_task": "unlock", "email": "jordan@example.com", "requested_slot": "otp_code"}
    wrong = "123123" if latest_code(backend, "jordan@example.com") != "123123" else "321321"
    for failures in range(2):
        _, slots = await verify_form_turn({**state, "otp_failures": failures}, wrong)
        assert slots["otp_code"] is None
    _, slots = await verify_form_turn({**state, "otp_failures": 2}, wrong)
    assert slots["otp_code"] == "[failed]"


async def test_an_expired_code_is_replaced(backend: DemoAccountBackend) -> None:
    await verify_form_turn({"account_task": "unlock", "requested_slot": "email"}, "jordan@example.com")
    code = latest_code(backend, "jordan@example.com")
    backend.clock.now += dt.timedelta(minutes=11)
    state = {"account_task": "unlock", "email": "jordan@example.com", "requested_slot": "otp_code"}
    reply, slots = await verify_form_turn(state, code)
    assert "expired" in reply and slots["otp_code"] is None
    assert latest_code(backend, "jordan@example.com") != code or len(read_outbox(backend.settings.mail_outbox_dir)) == 2


async def test_the_bot_never_asks_for_a_password_and_does_not_echo_one(backend: DemoAccountBackend) -> None:
    state = {"account_task": "reset_password", "email": "alex@example.com", "requested_slot": "otp_code"}
    reply, slots = await verify_form_turn(state, "my password is Hunter2!")
    assert "Hunter2" not in reply and slots["otp_code"] is None


VERIFIED_ALEX = {"email": "alex@example.com", "verified_email": "alex@example.com", "otp_code": VERIFIED}


async def test_verified_reset_sends_the_link_and_unlock_unlocks(backend: DemoAccountBackend) -> None:
    grant(backend, "alex@example.com")
    grant(backend, "jordan@example.com")
    dispatcher, slots = await run(ActionRunAccountTask(), tracker({**VERIFIED_ALEX, "account_task": "reset_password"}))
    assert "reset link" in said(dispatcher) and slots["resolved"] is True
    assert "reset" in read_outbox(backend.settings.mail_outbox_dir, to="alex@example.com")[-1]["Subject"].lower()
    jordan = {"email": "jordan@example.com", "verified_email": "jordan@example.com", "account_task": "unlock"}
    assert backend.lookup_customer("jordan@example.com").locked
    dispatcher, slots = await run(ActionRunAccountTask(), tracker(jordan))
    assert "unlocked" in said(dispatcher) and not backend.lookup_customer("jordan@example.com").locked


async def confirm_turn(state: dict[str, Any], text: str, intent: str = "nlu_fallback") -> dict[str, Any]:
    """One answer to confirm_form; then action_confirmed, as the rule runs it. The slots after both."""
    asked = {**state, "requested_slot": "confirmed", "open_question": {"question": "confirmed", "times": 1}}
    _, slots = await run(ValidateConfirmForm(), tracker(asked, text, intent))
    if slots.get("confirmed") is None:
        return slots
    _, done = await run(ActionConfirmed(), tracker({**asked, **slots}, text, intent))
    return {**slots, **done}


async def test_slots_alone_are_no_verification(backend: DemoAccountBackend) -> None:
    """A caller that makes up the slots (verified_email set, no code ever checked in this
    conversation) gets no account action: the backend holds no verification grant."""
    dispatcher, slots = await run(ActionRunAccountTask(), tracker({**VERIFIED_ALEX, "account_task": "reset_password"}))
    assert "couldn't confirm" in said(dispatcher)
    assert not [
        m
        for m in read_outbox(backend.settings.mail_outbox_dir, to="alex@example.com")
        if "reset" in m["Subject"].lower()
    ]
    grant(backend, "alex@example.com", conversation_id="another-conversation")
    dispatcher, _ = await run(ActionRunAccountTask(), tracker({**VERIFIED_ALEX, "account_task": "reset_password"}))
    assert "couldn't confirm" in said(dispatcher)  # a grant is for its own conversation only


async def test_a_plan_changes_only_after_an_explicit_yes(backend: DemoAccountBackend) -> None:
    grant(backend, "alex@example.com")
    state = {**VERIFIED_ALEX, "account_task": "change_plan", "plan": "business"}
    _, slots = await run(ActionRunAccountTask(), tracker(state))
    assert slots["pending"] == "confirm_plan_change" and "Plus" in slots["confirm_question"]["text"]
    asked, _ = await run(ActionAskConfirmed(), tracker({**state, **slots}))
    assert "Shall I upgrade you to **Business**" in said(asked)
    assert backend.get_plan("alex@example.com").plan == "plus"
    await confirm_turn({**state, **slots}, "no, leave it", "deny")
    assert backend.get_plan("alex@example.com").plan == "plus"
    after = await confirm_turn({**state, **slots}, "yes please do it", "affirm")
    assert backend.get_plan("alex@example.com").plan == "business" and after["resolved"] is True


async def test_an_unclear_answer_changes_nothing(backend: DemoAccountBackend) -> None:
    grant(backend, "alex@example.com")
    state = {**VERIFIED_ALEX, "account_task": "change_plan", "plan": "business"}
    _, slots = await run(ActionRunAccountTask(), tracker(state))
    unclear = await confirm_turn({**state, **slots}, "hmm what does business cost")
    assert unclear.get("confirmed") is None  # asked again
    twice = {**state, **slots, "open_question": {"question": "confirmed", "times": 2}}
    _, answered = await run(ValidateConfirmForm(), tracker({**twice, "requested_slot": "confirmed"}, "hmm"))
    assert answered["confirmed"] == "no" and backend.get_plan("alex@example.com").plan == "plus"
    # The unclear answer goes to the review inbox under the question it answered.
    missed = answered["answer_not_understood"]
    assert (missed["question"], missed["text"], missed["answer_slot"]) == ("confirm_plan_change", "hmm", "confirmed")
    assert "Business" in missed["asked"] and set(missed["options"]) >= {"yes", "no"}


async def test_cancel_shows_the_plan_and_offers_a_cheaper_one_first(backend: DemoAccountBackend) -> None:
    grant(backend, "sam@example.com")
    sam = {"email": "sam@example.com", "verified_email": "sam@example.com", "account_task": "cancel"}
    _, slots = await run(ActionRunAccountTask(), tracker(sam))
    buttons = [b["title"] for b in slots["confirm_question"]["buttons"]]
    assert "Business" in slots["confirm_question"]["text"] and "Switch to Plus instead" in buttons
    assert "Keep my plan" in buttons
    assert slots["pending"] == "confirm_cancel" and not backend.get_plan("sam@example.com").cancelled
    kept = await confirm_turn({**sam, **slots}, "keep my plan please")
    assert kept["resolved"] is False and not backend.get_plan("sam@example.com").cancelled
    # typed, "no" and "cancel" in one answer: the customer names what they want
    await confirm_turn({**sam, **slots}, "no thanks, just cancel it", "deny")
    assert backend.get_plan("sam@example.com").cancelled


async def test_license_key_format_and_state(backend: DemoAccountBackend) -> None:
    form = ValidateActivationForm()
    dispatcher = CollectingDispatcher()
    events = slot_events(await form.run(dispatcher, tracker({"requested_slot": "license_key"}, "ABC-123"), DOMAIN))
    assert events["license_key"] is None and "doesn't look like a license key" in said(dispatcher)
    dispatcher = CollectingDispatcher()
    t = tracker({"requested_slot": "license_key"}, "ABCDE-12345-FGHJK-67890")
    events = slot_events(await form.run(dispatcher, t, DOMAIN))
    assert events["license_key"] is None and "don't recognise" in said(dispatcher)
    # The slot cleared when the activation began is no try at a key
    dispatcher = CollectingDispatcher()
    t = tracker({"license_key": None}, "I need to activate my key", "software_activation")
    assert await form.validate_license_key(None, dispatcher, t, DOMAIN) == {"license_key": None}
    assert said(dispatcher) == ""
    dispatcher, slots = await run(ActionActivateLicense(), tracker({"license_key": "NMB2K-7QX4P-R8T3W-5HJ6Z"}))
    assert "activated" in said(dispatcher) and slots["resolved"] is True
    dispatcher, slots = await run(ActionActivateLicense(), tracker({"license_key": "NMB8X-3LD7Q-W4K9M-2RV5T"}))
    assert "SAM-DESKTOP" in slots["confirm_question"]["text"] and slots["pending"] == "confirm_release"


# --- conversation ------------------------------------------------------------------------------


async def test_low_confidence_offers_the_two_likeliest_meanings() -> None:
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.45},
        {"name": "wifi_dropout", "confidence": 0.3},
        {"name": "no_internet", "confidence": 0.25},
        {"name": "greet", "confidence": 0.1},
    ]
    dispatcher, _ = await run(ActionClarify(), tracker(text="net thing broke??", ranking=ranking))
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert payloads == ["/wifi_dropout", "/no_internet", "/request_human"]


def test_ratings_are_read_from_buttons_and_words() -> None:
    assert [parse_rating(t) for t in ("5", "4 stars", "3/5", "five", "great", "10")] == ["5", "4", "3", "5", None, None]


async def test_a_new_session_keeps_preferences_but_not_the_verification() -> None:
    old = {**VERIFIED_ALEX, "detail_level": "plain", "os": "macOS", "account_task": "unlock", "ts_flow": "vpn_issue"}
    events = await ActionSessionStart().run(CollectingDispatcher(), tracker(old), DOMAIN)
    assert events[0]["event"] == "session_started" and events[-1]["name"] == "action_listen"
    carried = slot_events(events)
    assert carried == {"detail_level": "plain", "os": "macOS", "email": "alex@example.com"}


async def test_a_reference_from_the_outbox_is_answered_for_its_owner_only(
    backend: DemoAccountBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the ticket system was down the customer got REF-XXXXXX (bot/actions/handoff_outbox.py);
    asking about it tells them it is on its way, and nobody else learns anything about it."""
    from bot.actions import handoff
    from bot.actions.settings import get_settings

    monkeypatch.setenv("HANDOFF_OUTBOX_PATH", str(tmp_path / "outbox.db"))
    get_settings.cache_clear()
    handoff.get_outbox.cache_clear()
    try:
        grant(backend, "alex@example.com")
        grant(backend, "jordan@example.com")
        escalation = handoff.get_outbox().add({"conversation_id": "c", "customer_email": "alex@example.com"})
        task = {"account_task": "ticket_status", "ticket_id": escalation.reference}
        dispatcher, slots = await run(ActionRunAccountTask(), tracker({**VERIFIED_ALEX, **task}))
        assert f"{escalation.reference} is saved and on its way" in said(dispatcher) and slots["resolved"] is True
        jordan = {"email": "jordan@example.com", "verified_email": "jordan@example.com"}
        dispatcher, slots = await run(ActionRunAccountTask(), tracker({**jordan, **task}))
        assert "couldn't find" in said(dispatcher) and "on its way" not in said(dispatcher)
    finally:
        get_settings.cache_clear()
        handoff.get_outbox.cache_clear()


# --- a change of course inside a form or after a menu ---------------------------------------------


def nlu_reads(monkeypatch: pytest.MonkeyPatch, intent: str, confidence: float = 0.8) -> None:
    """What the NLU makes of the part of a message the action server has it read again."""

    async def parse(text: str) -> dict[str, Any]:
        ranking = [{"name": intent, "confidence": confidence}, {"name": "greet", "confidence": 1 - confidence}]
        return {"text": text, "intent": ranking[0], "intent_ranking": ranking, "entities": []}

    monkeypatch.setattr("bot.actions.detours.parse", parse)


def routed_to(events: list[dict]) -> tuple[str, str] | None:
    user = [e for e in events if e.get("event") == "user"]
    return (user[0]["parse_data"]["intent"]["name"], user[0]["text"]) if user else None


PLAN_EMAIL = {"account_task": "change_plan", "requested_slot": "email"}


async def test_asked_for_an_email_the_customer_who_only_wanted_the_price_gets_the_article(
    backend: DemoAccountBackend, searcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    nlu_reads(monkeypatch, "subscription_change")
    dispatcher = CollectingDispatcher()
    text = "no wait, I only wanted to know how much Plus costs per month first"
    events = await ValidateVerifyForm().run(dispatcher, tracker(PLAN_EMAIL, text, "subscription_change"), DOMAIN)
    slots = slot_events(events)
    assert "look like an email" not in said(dispatcher)
    assert slots["requested_slot"] is None and slots["account_task"] is None  # the plan change is dropped
    assert slots["kb_current"]["article_id"] in ("upgrade-plan", "downgrade-plan")  # the plans and their prices
    assert {"event": "followup", "name": "kb_feedback_form", "timestamp": None} in events
    # Nothing runs for the dropped task: no ticket, no "couldn't confirm it's your account"
    dispatcher, after = await run(ActionRunAccountTask(), tracker({"account_task": None}))
    assert said(dispatcher) == "" and after == {}


async def test_asked_for_an_email_another_problem_is_routed_as_if_just_said(
    backend: DemoAccountBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    nlu_reads(monkeypatch, "app_crash")
    dispatcher = CollectingDispatcher()
    text = "that's not what I want, the nimbus app closes every time I open it"
    events = await ValidateVerifyForm().run(dispatcher, tracker(PLAN_EMAIL, text, "subscription_change"), DOMAIN)
    assert routed_to(events) == ("app_crash", "the nimbus app closes every time i open it")
    assert slot_events(events)["account_task"] is None and "got that wrong" in said(dispatcher)


async def test_asked_for_an_email_the_same_task_said_again_keeps_the_form(
    backend: DemoAccountBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    nlu_reads(monkeypatch, "subscription_change")
    reply, slots = await verify_form_turn(PLAN_EMAIL, "no, I want the Plus plan please", "subscription_change")
    assert "look like an email" in reply and "account_task" not in slots  # one more chance at the address


async def test_asked_for_a_key_another_problem_ends_the_activation_without_a_ticket(
    backend: DemoAccountBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    nlu_reads(monkeypatch, "printer_issue")
    dispatcher = CollectingDispatcher()
    t = tracker({"requested_slot": "license_key"}, "sorry, wrong thing: my printer shows offline since monday")
    events = await ValidateActivationForm().run(dispatcher, t, DOMAIN)
    assert routed_to(events)[0] == "printer_issue" and slot_events(events)["requested_slot"] is None
    dispatcher, slots = await run(ActionActivateLicense(), tracker(slot_events(events)))
    assert said(dispatcher) == "" and slots == {"license_key": None}  # nothing activated, nobody called
    # Not having the key is an answer, not a change of course
    t = tracker({"requested_slot": "license_key"}, "no, I don't have the key with me")
    events = await ValidateActivationForm().run(CollectingDispatcher(), t, DOMAIN)
    assert slot_events(events)["license_key"] == "[no key]"


async def test_a_denied_word_does_not_start_its_task(
    backend: DemoAccountBackend, searcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    # After "What happens when you try to sign in?" (forgot password / locked / 2FA)
    nlu_reads(monkeypatch, "app_crash")
    text = "no, it's not my password, the app won't even open on my tablet"
    dispatcher = CollectingDispatcher()
    events = await ActionBeginAccountTask().run(dispatcher, tracker({}, text, "password_reset"), DOMAIN)
    assert routed_to(events) == ("app_crash", "the app wont even open on my tablet")
    assert "account_task" not in slot_events(events)
    # A plain request is what it seems
    nlu_reads(monkeypatch, "password_reset")
    events = await ActionBeginAccountTask().run(
        CollectingDispatcher(), tracker({}, "no, I forgot my password and need a new one", "password_reset"), DOMAIN
    )
    assert routed_to(events) is None and slot_events(events)["account_task"] == "reset_password"


def test_a_task_done_a_moment_ago_is_known_until_two_more_messages() -> None:
    from bot.actions.done_already import done_just_now

    def user(text: str) -> dict:
        return {"event": "user", "text": text, "parse_data": {}}

    def slot(name: str, value: Any) -> dict:
        return {"event": "slot", "name": name, "value": value}

    done = [
        user("i forgot my password"),
        {"event": "action", "name": "action_begin_account_task"},
        slot("account_task", "reset_password"),
        user("alex@example.com"),
        user("123456"),
        {"event": "action", "name": "action_run_account_task"},
        slot("account_task", None),
        slot("resolved", True),
    ]
    assert done_just_now(tracker(events=[*done, user("it still says my password is wrong")])) == "reset_password"
    assert done_just_now(tracker(events=[*done, user("5"), user("my password is wrong")])) == "reset_password"
    assert done_just_now(tracker(events=[*done, user("5"), user("thanks"), user("my password is wrong")])) is None
    # Said once, "not worked yet" is not said again: the next request does the task.
    answered = [*done, user("still wrong"), {"event": "action", "name": "action_begin_account_task"}]
    assert done_just_now(tracker(events=[*answered, slot("resolved", False), user("send it again")])) is None
    # A task that did not get done is no task done.
    failed = [*done[:-1], slot("resolved", False), user("still wrong")]
    assert done_just_now(tracker(events=failed)) is None


def test_the_question_an_article_answered_is_not_the_no_to_the_article_before() -> None:
    from bot.actions.kb_feedback import answered_question

    events = [
        {"event": "user", "text": "my laptop crawls and strange ads pop up everywhere", "parse_data": {}},
        {"event": "user", "text": "nope", "parse_data": {}},
        {"event": "user", "text": "no", "parse_data": {}},
    ]
    assert answered_question(tracker(text="no", events=events)) == "my laptop crawls and strange ads pop up everywhere"


def test_a_step_that_fixed_it_a_moment_ago_is_known() -> None:
    from bot.actions.done_already import done_just_now, fixed_just_now

    events = [
        {"event": "user", "text": "my wifi keeps dropping", "parse_data": {}},
        {"event": "slot", "name": "ts_flow", "value": "wifi_dropout"},
        {"event": "slot", "name": "ts_step", "value": 0},
        {"event": "slot", "name": "ts_step", "value": 1},
        {"event": "user", "text": "yes that fixed it", "parse_data": {}},
        {"event": "action", "name": "action_step_outcome"},
        {"event": "slot", "name": "ts_flow", "value": None},
        {"event": "slot", "name": "ts_step", "value": None},
        {"event": "slot", "name": "resolved", "value": True},
        {"event": "user", "text": "nope it dropped again", "parse_data": {}},
    ]
    assert fixed_just_now(tracker(events=events)) == ("wifi_dropout", 1)
    assert done_just_now(tracker(events=events)) is None  # no account task


def test_a_yes_to_an_article_is_taken_back_only_by_news_that_it_did_not_help() -> None:
    from bot.actions.done_already import answer_retracted

    helped = {"article_id": "export-data", "title": "Export", "outcome": "helped", "at": "t"}
    events = [
        {"event": "user", "text": "how do i export my data", "parse_data": {}},
        {"event": "user", "text": "yes", "parse_data": {}},
        {"event": "action", "name": "action_kb_feedback"},
        {"event": "slot", "name": "resolved", "value": True},
    ]

    def said(text: str) -> Tracker:
        return tracker({"kb_feedback": [helped]}, text=text, events=[*events, {"event": "user", "text": text}])

    taken_back = slot_events(answer_retracted(said("actually it didn't help")))
    assert taken_back["kb_helped"] == "no" and taken_back["kb_feedback"] == []
    assert taken_back["kb_current"]["article_id"] == "export-data"
    assert answer_retracted(said("no thanks")) is None


async def test_cannot_sign_in_right_after_a_reset_link_is_about_that_link() -> None:
    from bot.actions.triage import ActionClarifyLogin

    events = [
        {"event": "user", "text": "i forgot my password", "parse_data": {}},
        {"event": "slot", "name": "account_task", "value": "reset_password"},
        {"event": "action", "name": "action_run_account_task"},
        {"event": "slot", "name": "resolved", "value": True},
        {"event": "user", "text": "i still cant log in", "parse_data": {}},
    ]
    dispatcher = CollectingDispatcher()
    await ActionClarifyLogin().run(dispatcher, tracker(text="i still cant log in", events=events), DOMAIN)
    assert "choose a new one with that link" in said(dispatcher)
    assert [b["title"] for b in dispatcher.messages[-1]["buttons"]] == ["Send the link again", "Talk to a person"]


async def test_an_article_about_a_task_offers_the_task_behind_no() -> None:
    from bot.actions.kb import answer_with
    from kb_index.search import Hit

    question = "I'd like to use my Desktop Pro key on my work PC as well"
    url = "/help/articles/move-license-new-computer"
    hit = Hit("move-license-new-computer", "Move your licence", url, 0.7, "Open Help", task="software_activation")
    slots = slot_events(answer_with(CollectingDispatcher(), tracker(), hit, "From our help article", question=question))
    assert [b["title"] for b in slots["kb_buttons"]] == ["Yes, that helped", "No, activate my key"]
    assert slots["kb_then"] == {"intent": "software_activation", "text": question}
    # Shown on the way elsewhere (no question of the customer's to start the task with): a plain "No"
    slots = slot_events(answer_with(CollectingDispatcher(), tracker(), hit, "Sorry about that. This may fit:"))
    assert [b["title"] for b in slots["kb_buttons"]] == ["Yes, that helped", "No"] and "kb_then" not in slots


async def test_a_long_message_is_routed_by_the_sentence_that_names_the_problem(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.actions.detours import route_by_problem_sentence

    readings = {"printer": ("printer_issue", 0.86), "person": ("request_human", 0.9)}

    async def parse(text: str) -> dict[str, Any]:
        name, sure = next((v for k, v in readings.items() if k in text), ("greet", 0.6))
        return {"text": text, "intent": {"name": name, "confidence": sure}, "entities": []}

    monkeypatch.setattr("bot.actions.detours.parse", parse)
    backstory = (
        "Hello there, hope your day is going well. I moved flats last month and set everything up again myself. "
        "Since then the printer in the hallway shows offline on my Mac, although it prints from my phone."
    )
    entities = [{"entity": "device", "value": "mac"}]
    events = await route_by_problem_sentence(tracker({}, backstory, "ask_howto", entities=entities))
    user = [e for e in events if e.get("event") == "user"][0]
    assert user["parse_data"]["intent"]["name"] == "printer_issue"
    assert user["text"] == backstory and user["parse_data"]["entities"] == entities  # every sentence's facts
    # A person asked for in so many words comes first; a sentence that only mentions people does not count
    asks = backstory + " Please don't send me more steps, I'd like a person to look at it."
    events = await route_by_problem_sentence(tracker({}, asks, "ask_howto"))
    assert [e for e in events if e.get("event") == "user"][0]["parse_data"]["intent"]["name"] == "request_human"
    readings["person"] = ("request_human", 0.9)
    mentions = backstory + " The person at the shop could not help either."
    events = await route_by_problem_sentence(tracker({}, mentions, "ask_howto"))
    assert [e for e in events if e.get("event") == "user"][0]["parse_data"]["intent"]["name"] == "printer_issue"
    # Two sentences: nothing to weigh
    short = "Hello there. The printer is offline."
    assert await route_by_problem_sentence(tracker({}, short, "nlu_fallback")) == []


async def test_the_problem_said_again_after_an_offered_person_is_not_a_no() -> None:
    offer = {"pending": "offer_person", "confirm_question": {"text": "Would you like a person to help instead?"}}
    asked = {**offer, "requested_slot": "confirmed", "open_question": {"question": "confirmed", "times": 1}}
    text = "i can't stay signed in to the nimbus website, it keeps sending me back"
    ranking = [{"name": "browser_issue", "confidence": 0.8}]
    t = tracker(asked, text, "browser_issue", ranking=ranking)
    events = await ValidateConfirmForm().run(CollectingDispatcher(), t, DOMAIN)
    assert routed_to(events) == ("browser_issue", text)  # taken up, not "OK, no ticket then"
    refusals = (
        "no thanks, I'll manage",
        "no, I would rather sort it out myself later on today",
        "I don't want a person",
    )
    for refusal in refusals:
        _, slots = await run(ValidateConfirmForm(), tracker(asked, refusal))
        assert slots["confirmed"] == "no"


async def test_the_sign_in_menu_is_not_shown_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.actions.triage import ActionClarifyLogin

    def after_menu(text: str) -> Tracker:
        message = {"event": "user", "text": text, "parse_data": {"intent": {"name": "login_trouble"}}}
        menu = [{"event": "action", "name": "action_clarify_login"}, {"event": "action", "name": "action_listen"}]
        return tracker({}, text, "login_trouble", events=[*menu, message])

    dispatcher, _ = await run(ActionClarifyLogin(), tracker({}, "i cant log in", "login_trouble"))
    assert dispatcher.messages[0].get("response") == "utter_login_clarify"  # the menu, with "Something else"
    dispatcher, _ = await run(ActionClarifyLogin(), after_menu("/login_trouble"))  # "Something else"
    assert "what you see when you try" in said(dispatcher)

    async def no_article(question: str) -> None:
        return None

    monkeypatch.setattr("bot.actions.triage.strong_article", no_article)
    dispatcher, slots = await run(ActionClarifyLogin(), after_menu("nimbus wants my password again every morning"))
    assert slots["pending"] == "offer_person" and "utter_login_clarify" not in str(dispatcher.messages)
