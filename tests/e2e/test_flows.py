"""The Nimbus flows through the real stack: trained model, action server, handoff API, demo
account backend with its mail outbox, SQL tracker store."""

from __future__ import annotations

import re
import sqlite3

import pytest

from accounts.mail import read_outbox
from tests.e2e.rest_chat import Chat, buttons, texts

pytestmark = pytest.mark.e2e


def test_password_reset_verified_by_emailed_code_then_rated(stack) -> None:
    chat = Chat(stack)
    reply = chat.say("I forgot my password and can't get in")
    assert "one-time code" in reply and "never ask for your password" in reply
    assert "Which email" in reply
    reply = chat.say("alex@example.com")
    assert "6-digit code" in reply
    first = chat.code("alex@example.com")
    # The code prompt's button: the reset goes on with a new code (the NLU hears a 2FA problem in it).
    reply = chat.tap("Send a new code")
    assert "sent a new code to alex@example.com" in reply and "NIM-" not in reply and "two-step" not in reply
    code = chat.code("alex@example.com")
    assert code != first or len(read_outbox(stack.outbox, to="alex@example.com")) >= 2
    wrong = "000000" if code != "000000" else "111111"
    assert "isn't right" in chat.say(wrong)
    reply = chat.say(code)
    assert "reset link" in reply and "alex@example.com" in reply
    reset_mail = read_outbox(stack.outbox, to="alex@example.com")[-1]
    assert "reset" in reset_mail["Subject"].lower()
    assert "rate it from 1" in reply.lower()
    assert [b["payload"] for b in buttons(chat.last)] == ["1", "2", "3", "4", "5"]
    assert "Thanks for your feedback" in chat.say("5")
    # What is stored: the code the customer typed is masked in Rasa's tracker store.
    rows = sqlite3.connect(stack.workdir / "tracker.db").execute(
        "select data from events where sender_id = ?", (chat.conversation_id,)
    )
    stored = "\n".join(r[0] for r in rows)

    def kept(digits: str) -> bool:
        # As a number of its own: the same six digits inside a float (an intent's confidence,
        # 0.04505726...) are not the code.
        return re.search(rf"(?<![\d.]){digits}(?!\d)", stored) is not None

    assert not kept(code) and not kept(wrong) and "[one-time code]" in stored
    assert '"csat_scores", "value": [5]' in stored.replace("\\", "") or '"value": [5]' in stored


def test_three_wrong_codes_hand_over_to_a_person(stack) -> None:
    chat = Chat(stack)
    chat.say("my account is locked")
    chat.say("jordan@example.com")
    code = chat.code("jordan@example.com")
    wrong = [c for c in ("111111", "222222", "333333", "444444") if c != code][:3]
    chat.say(wrong[0])
    chat.say(wrong[1])
    reply = chat.say(wrong[2])
    assert "couldn't confirm" in reply and "NIM-" in reply
    ticket = chat.ticket(reply)
    assert ticket["reason"] == "account_action" and "verification failed" in ticket["summary"]
    assert all(w not in str(ticket) for w in wrong)  # codes never reach the ticket


def test_wifi_flow_follows_the_answers_explains_simpler_and_hands_over_with_the_steps(stack) -> None:
    chat = Chat(stack)
    reply = chat.say("my wifi keeps dropping every evening on my laptop, windows 11")
    assert "questions" in reply
    # device and OS came with the first message: they are not asked again
    assert "Which device" not in reply
    asked = []
    for _ in range(8):
        last = chat.last[-1]
        asked.append(last["text"])
        if "Step 1" in texts(chat.last):
            break
        titles = [b["title"] for b in last.get("buttons") or []]
        if "neighbour" in last["text"].lower() or "networks" in last["text"].lower():
            chat.tap("yes")
        elif any("evening" in t.lower() for t in titles):
            chat.tap("evening")
        elif any("only this" in t.lower() or "just this" in t.lower() for t in titles):
            chat.tap(next(t for t in titles if "only this" in t.lower() or "just this" in t.lower()))
        elif titles:
            chat.tap(titles[0])
        else:
            chat.say("no error message")
    reply = texts(chat.last)
    assert "Step 1" in reply and "channel" in reply.lower(), reply  # evenings + crowded air: channel first
    technical = chat.last[0]["text"]
    simpler = chat.say("I don't understand, explain it simpler please")
    assert "simpler words" in simpler and "Step 1" in simpler
    assert simpler.split("Step 1", 1)[1] != technical.split("Step 1", 1)[1]
    # and back: one tap gives the technical wording again, then simpler again for the rest
    again = chat.tap("technical version")
    assert "Sure, here are the details" in again and technical.split("Step 1", 1)[1] in again
    chat.say("explain simpler please")
    reply = chat.say("no, it still drops")
    steps_seen = 1
    while "Did that fix it?" in reply:
        assert "**Step" in reply
        steps_seen += 1
        reply = chat.tap("No, still")
    assert steps_seen >= 3
    # out of scripted steps: the help article, once, then a person
    assert "all the steps I have" in reply and "/help/articles/" in reply and "Did this help?" in reply
    reply = chat.tap("No")
    ticket = chat.ticket(reply)
    assert ticket["reason"] == "repeated_failure"
    tried = ticket["steps_tried"]
    assert len(tried) == steps_seen + 1 and "help article" in tried[-1]["step"]
    assert all(s["outcome"] in ("did not fix it", "did not help") for s in tried)
    assert "Wi-Fi keeps dropping" in ticket["summary"] and "timing: evenings" in ticket["summary"]
    # the wording choice stuck: later steps came in plain words (no shell commands)
    assert ticket["slots"]["detail_level"] == "plain"


def test_a_step_that_works_resolves_and_asks_for_a_rating(stack) -> None:
    chat = Chat(stack)
    chat.reach_first_step("I have no internet at all on any device")
    reply = chat.tap("Yes, that fixed")
    assert "glad" in reply.lower() and "rate it from 1" in reply.lower()
    assert "welcome" in chat.say("thanks!").lower()  # no rating: no nagging
    again = Chat(stack)
    again.reach_first_step("my laptop's wifi cuts out all the time")
    again.tap("Yes, that fixed")
    reply = again.say("no thanks")  # no rating, and no news about the fix
    assert "Step 2" not in reply and "Anything else" in reply


def test_a_fix_that_does_not_hold_takes_the_flow_up_at_the_next_step(stack) -> None:
    chat = Chat(stack)
    chat.reach_first_step("my laptop's wifi cuts out all the time")
    assert "rate it from 1" in chat.tap("Yes, that fixed").lower()
    reply = chat.say("hmm, it just disconnected again")
    assert "Step 2 of" in reply and "Did that fix it?" in reply and "rate it" not in reply.lower()
    assert "Step 3 of" in chat.tap("No, still")
    assert "glad" in chat.tap("Yes, that fixed").lower()


def test_activation_moves_a_seat_after_the_owner_verifies(stack) -> None:
    chat = Chat(stack)
    reply = chat.say("I need to activate my license key on my new laptop")
    assert "license key" in reply.lower()
    assert "doesn't look like a license key" in chat.say("ABCD-1234")
    reply = chat.say("NMB8X-3LD7Q-W4K9M-2RV5T")
    assert "SAM-DESKTOP" in reply and "Shall I?" in reply
    reply = chat.say("yes please")
    assert "one-time code" in reply
    chat.say("sam@example.com")
    reply = chat.say(chat.code("sam@example.com"))
    assert "released the seat on **SAM-DESKTOP**" in reply and "2 of 2" in reply


def test_a_key_we_do_not_know_gets_the_rejected_key_article_before_a_person(stack) -> None:
    chat = Chat(stack)
    chat.say("please activate desktop pro for me")
    unknown = "QWERT-23456-ZXCVB-98765"
    assert "don't recognise that key" in chat.say(unknown)
    reply = chat.say(unknown)
    assert "license-key-invalid" in reply and "Did this help?" in reply and "NIM-" not in reply
    assert unknown not in reply
    assert "passed this to our support team" in chat.tap("I'd like a person")


def test_plan_change_needs_verification_and_an_explicit_yes(stack) -> None:
    chat = Chat(stack)
    chat.say("I'd like to upgrade my plan to business")
    chat.say("taylor@example.com")
    reply = chat.say(chat.code("taylor@example.com"))
    assert "Free" in reply and "Business" in reply and "Shall I upgrade" in reply
    reply = chat.say("yes")
    assert "Done" in reply and "rate it" in reply.lower()


def test_the_problem_named_again_after_a_reset_link_is_not_a_second_link(stack) -> None:
    """At the rating question the customer says it still fails: the bot says what to do with the
    link it sent instead of voiding it with another one, and a person or a new link is one tap away."""
    chat = Chat(stack)
    chat.say("i forgot my password")
    chat.say("jordan@example.com")
    assert "rate it from 1" in chat.say(chat.code("jordan@example.com")).lower()
    links = len(read_outbox(stack.outbox, to="jordan@example.com"))
    reply = chat.say("it still says my password is wrong")
    assert "choose a new one with that link" in reply and "rate it" not in reply.lower()
    assert len(read_outbox(stack.outbox, to="jordan@example.com")) == links
    assert [b["title"] for b in buttons(chat.last)] == ["Send the link again", "Talk to a person"]
    # Asked for once more, it is done once more.
    reply = chat.tap("Send the link again")
    assert "emailed a password reset link" in reply
    assert len(read_outbox(stack.outbox, to="jordan@example.com")) == links + 1


def test_cancel_offers_a_downgrade_first_and_no_keeps_everything(stack) -> None:
    chat = Chat(stack)
    chat.say("cancel my subscription")
    chat.say("sam@example.com")
    reply = chat.say(chat.code("sam@example.com"))
    assert "Business" in reply and "stays active until the end" in reply
    assert any("Switch to Plus" in b["title"] for b in buttons(chat.last))
    assert "stays as it is" in chat.tap("Keep my plan")


def test_ticket_status_is_looked_up_for_the_verified_customer(stack) -> None:
    chat = Chat(stack)
    chat.say("I forgot my password")
    chat.say("alex@example.com")
    chat.say(chat.code("alex@example.com"))
    reply = chat.say("actually I'd rather talk to a person")
    ticket_id = re.search(r"NIM-\d{6}", reply).group(0)
    other = Chat(stack)
    reply = other.say(f"what's the status of ticket {ticket_id}?")
    assert "one-time code" in reply
    other.say("alex@example.com")
    reply = other.say(other.code("alex@example.com"))
    assert ticket_id in reply and "waiting for an agent" in reply
    # someone else's email never sees it
    third = Chat(stack)
    third.say(f"status of my ticket {ticket_id}")
    third.say("taylor@example.com")
    assert "couldn't find ticket" in third.say(third.code("taylor@example.com"))


def test_billing_question_goes_to_the_billing_queue(stack) -> None:
    chat = Chat(stack)
    reply = chat.say("why was I charged twice on my card this month?")
    assert "billing team" in reply and "NIM-" in reply
    ticket = chat.ticket(reply)
    assert ticket["queue"] == "billing" and "charged twice" in ticket["summary"]


def test_login_trouble_asks_which_problem_it_is(stack) -> None:
    chat = Chat(stack)
    chat.say("I can't log in to nimbus")
    payloads = {b["payload"] for b in buttons(chat.last)}
    assert payloads == {"/password_reset", "/account_locked", "/two_factor_problem", "/login_trouble"}
    assert "one-time code" in chat.tap("locked")
    # None of the options fits: the same menu never comes back, the restatement is taken up
    other = Chat(stack)
    other.say("I can't log in to nimbus")
    assert "what you see" in other.tap("Something else")
    reply = other.say("i cannot sign in, it just keeps asking me to sign in again")
    assert "What happens when you try to sign in?" not in reply
    assert "Did this help?" in reply or "person" in reply


def test_out_of_scope_says_what_the_bot_can_do_and_offers_a_person(stack) -> None:
    chat = Chat(stack)
    reply = chat.say("can you recommend a good pizza place nearby?")
    assert "outside what I can help with" in reply and "Wi-Fi" in reply
    assert "/request_human" in [b["payload"] for b in buttons(chat.last)]


def test_not_understood_twice_hands_over(stack) -> None:
    # Gibberish the model is unsure about (which one depends on the training run; one must be)
    for gibberish in ("blorp zzkq wibble", "qwx vrrp zlonk", "mmh fnord grumpf", "xq zz vv"):
        chat = Chat(stack)
        first = chat.say(gibberish)
        if "not sure I understood" in first:
            break
    assert "not sure I understood" in first
    assert "/request_human" in [b["payload"] for b in buttons(chat.last)]
    # Which words the model is unsure about changes with every retraining: the second miss is
    # sent as the intent itself, exactly what the NLU reports for a message below the threshold.
    reply = chat.say("/nlu_fallback")
    assert "still not sure" in reply and "NIM-" in reply
    assert chat.ticket(reply)["reason"] == "low_confidence"
