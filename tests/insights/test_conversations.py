"""Folding tracker events into conversations (insights/conversations.py), on hand-made events shaped
as Rasa stores them."""

from __future__ import annotations

import datetime as dt

from insights.conversations import (
    KB_BELOW_THRESHOLD,
    KB_NOT_HELPFUL,
    LOW_CONFIDENCE,
    NLU_FALLBACK,
    OUT_OF_SCOPE,
    fold,
)
from tests.insights.events import Chat, all_events

T0 = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.timezone.utc)


def test_a_session_started_event_begins_a_new_conversation() -> None:
    chat = Chat("alice", T0).session().user("hi", "greet").bot("Hi!")
    chat.wait(hours=2).session().user("my wifi keeps dropping", "wifi_dropout").bot("Which device?")
    # Rasa logs the next session's start before `session_started`: it must not stretch this one.
    chat.wait(hours=3).session()  # a session with no customer message is not a conversation
    first, second = fold(chat.events, low_confidence=0.2)
    assert (first.number, second.number) == (1, 2)
    assert [t.text for t in first.turns] == ["hi", "Hi!"] and first.support_intents == []
    assert second.support_intents == ["wifi_dropout"]
    assert first.ended_at < second.started_at and second.ended_at < chat.now - dt.timedelta(hours=2)


def test_resolved_rated_and_the_rating_carried_into_the_next_session_is_not_counted_twice() -> None:
    chat = Chat("bob", T0).session().kb_answer("how do I share a file").kb_feedback(helped=True)
    chat.ask_rating().rate(5)
    # The next session carries csat_scores over (bot/actions/wording_and_rating.py CARRIED_SLOTS).
    chat.wait(hours=2).session().slot("csat_scores", [5]).user("my printer is offline", "printer_issue")
    chat.ask_rating().user("thanks!", "thank").action("action_skip_rating")
    first, second = fold(chat.events, low_confidence=0.2)
    assert first.resolved and first.contained and first.csat_asked and first.csat_scores == [5]
    assert [t.text for t in first.customer_turns] == ["how do I share a file", "/affirm", "5"]
    assert not second.resolved and second.csat_asked and second.csat_scores == []


def test_handoffs_fallbacks_and_the_customer_behind_a_verified_email() -> None:
    chat = Chat("carol", T0).session().user("I forgot my password", "password_reset")
    chat.slot("email", "Carol@Example.com").slot("verified_email", "Carol@Example.com")
    chat.user("blorp zzkq", NLU_FALLBACK, 0.2).action("action_clarify").bot("Did you mean one of these?")
    chat.user("/nlu_fallback", NLU_FALLBACK, 1.0).hand_over("NIM-123456")
    (c,) = fold(chat.events, low_confidence=0.2)
    assert c.customer_key == "carol@example.com" and c.handoffs == ["NIM-123456"]
    assert c.handed_over and not c.contained and c.fell_back and not c.out_of_scope
    # The "/nlu_fallback" command is not something the customer worded: not in the inbox.
    assert [(r.text, r.reason) for r in c.review] == [("blorp zzkq", NLU_FALLBACK)]


def test_what_goes_to_the_review_inbox_and_why() -> None:
    chat = Chat("dave", T0).session()
    chat.user("best pizza near me", OUT_OF_SCOPE, 0.99).bot("That's outside what I can help with.")
    chat.user("bye then", "goodbye", 0.31, [("goodbye", 0.31), ("thank", 0.3)])
    chat.kb_miss("does the editor support markdown")
    chat.kb_answer("is there an apple watch app", article="install-desktop-app").kb_feedback(
        helped=False, article="install-desktop-app"
    )
    (c,) = fold(chat.events, low_confidence=0.4)
    flagged = [(r.text, r.reason) for r in c.review]
    assert flagged == [
        ("best pizza near me", OUT_OF_SCOPE),
        ("bye then", LOW_CONFIDENCE),
        ("does the editor support markdown", KB_BELOW_THRESHOLD),
        ("is there an apple watch app", KB_NOT_HELPFUL),  # the question, not the "No" tap
    ]
    details = {r.reason: r.detail for r in c.review}
    assert details[KB_BELOW_THRESHOLD] == "nearest article app-freezes scored 0.18"
    assert details[KB_NOT_HELPFUL] == "article install-desktop-app"
    assert details[LOW_CONFIDENCE] == "goodbye at 0.31"
    # With the shipped threshold (0.2) a 0.31 is not "low confidence".
    assert LOW_CONFIDENCE not in {r.reason for r in fold(chat.events, low_confidence=0.2)[0].review}


def test_an_article_offered_after_troubleshooting_is_about_the_problem_first_stated() -> None:
    chat = Chat("erin", T0).session().user("my wifi keeps dropping", "wifi_dropout")
    chat.action("action_troubleshoot_step").bot("Step 1 ...").user("/deny", "deny", 1.0)
    chat.action("action_step_outcome").bot("From our help article ...").slot("kb_current", {"article_id": "w"})
    chat.kb_feedback(helped=False, article="wifi-keeps-dropping")
    (c,) = fold(chat.events, low_confidence=0.2)
    assert [(r.text, r.reason) for r in c.review] == [("my wifi keeps dropping", KB_NOT_HELPFUL)]


def test_taps_show_their_title_control_messages_are_skipped_and_senders_stay_apart() -> None:
    a = (
        Chat("frank", T0)
        .session()
        .user("/request_human", "request_human", 1.0, metadata={"button_title": "Talk to a person"})
    )
    a.user("/session_start", "session_start", 1.0)
    b = Chat("gina", T0).session().user("hello", "greet")
    conversations = fold(all_events(a, b), low_confidence=0.2)
    assert [(c.conversation_id, [t.text for t in c.customer_turns]) for c in conversations] == [
        ("frank", ["Talk to a person"]),
        ("gina", ["hello"]),
    ]
    assert conversations[0].customer_turns[0].tapped


def test_answers_a_form_took_are_neither_fallbacks_nor_support_intents() -> None:
    chat = Chat("hana", T0).session().user("my wifi keeps dropping", "wifi_dropout")
    chat.action("diagnosis_form").loop("diagnosis_form").slot("requested_slot", "q_device").bot("Which device?")
    # The NLU guesses wildly on short answers; the form took them, so the bot understood.
    chat.user("laptop", "slow_device", 0.32).action("diagnosis_form").slot("q_device", "laptop")
    chat.user("windows 11", NLU_FALLBACK, 0.2).action("diagnosis_form").slot("q_os", "windows")
    # This one the form refused (nothing to extract): it is a real fallback.
    chat.user("blorp zzkq", NLU_FALLBACK, 0.2)._add("action_execution_rejected", name="diagnosis_form")
    chat.action("action_clarify").bot("Did you mean ...?")
    (c,) = fold(chat.events, low_confidence=0.2)
    assert [t.form_answer for t in c.customer_turns] == [False, True, True, False]
    assert c.support_intents == ["wifi_dropout"] and c.fell_back
    assert [r.text for r in c.review] == ["blorp zzkq"]


def test_the_bot_re_reading_a_corrected_message_is_not_a_message_of_the_customer() -> None:
    chat = Chat("erin", T0).session().user("my wifi keeps dropping", "wifi_dropout")
    chat.user("no wait, it's the app that crashes when I open it", "deny", 0.6).action("validate_diagnosis_form")
    chat.user("the app crashes when I open it", "app_crash", 0.97, metadata={"tier0_routed_again": True})
    (c,) = fold(chat.events, low_confidence=0.2)
    assert [t.text for t in c.customer_turns] == [
        "my wifi keeps dropping",
        "no wait, it's the app that crashes when I open it",
    ]
    assert c.support_intents == ["wifi_dropout", "app_crash"]  # what the bot acted on in the end
