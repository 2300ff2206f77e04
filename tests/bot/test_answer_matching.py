"""Typed answers are understood as well as taps: every option by its title in any case, by each of
its `say` phrases, by position, with a typo; device names; several facts in one message; yes and
no; and the conversation signals (stop, corrections, "not sure", side questions)."""

from __future__ import annotations

import pytest

from bot.actions.flow_content import UNKNOWN, load_flows
from bot.actions.understanding import signals
from bot.actions.understanding.devices import device_facts
from bot.actions.understanding.facts import answer_to, facts_in
from bot.actions.understanding.options import match_option
from bot.actions.understanding.yes_no import yes_no

BOOK = load_flows()
ALL_OPTIONS = [(name, value) for name, q in BOOK.questions.items() for value in q.options]


@pytest.mark.parametrize(("name", "value"), ALL_OPTIONS)
def test_every_option_is_understood_by_its_title_in_any_case(name: str, value: str) -> None:
    title = BOOK.questions[name].options[value].title
    for typed in (title, title.lower(), title.upper(), f"  {title.lower()}!  "):
        assert answer_to(name, BOOK, typed) == value, typed


@pytest.mark.parametrize(("name", "value"), ALL_OPTIONS)
def test_every_say_phrase_of_an_option_means_that_option(name: str, value: str) -> None:
    for phrase in BOOK.questions[name].options[value].say:
        assert answer_to(name, BOOK, phrase) == value, phrase


@pytest.mark.parametrize(
    ("name", "typed", "value"),
    [
        ("os", "windows", "windows"),
        ("os", "win 11", "windows"),
        ("os", "windows 10", "windows"),
        ("os", "mac", "macos"),
        ("os", "a mac", "macos"),
        ("os", "macbook", "macos"),
        ("os", "my iphone", "ios"),
        ("app_platform", "computer app", "desktop"),
        ("app_platform", "desktop app", "desktop"),
        ("app_platform", "the computer one", "desktop"),
        ("app_platform", "in chrome", "web"),
        ("scope", "only this", "one"),
        ("scope", "just this one", "one"),
        ("scope", "only my laptop", "one"),
        ("scope", "everything at home", "all"),
        ("timing", "mostly at night", "evenings"),
        ("sync_type", "email and calendar", "both"),
        ("mail_provider", "it's my provider's own email, not google or microsoft", "imap"),
        ("since", "since monday", "this_week"),
    ],
)
def test_the_usual_words_for_an_option(name: str, typed: str, value: str) -> None:
    assert answer_to(name, BOOK, typed) == value


@pytest.mark.parametrize(
    ("typed", "value"),
    [("1", "computer"), ("the first one", "computer"), ("2", "phone"), ("the second one", "phone"),
     ("option 3", "tablet"), ("3rd", "tablet"), ("the last one", UNKNOWN), ("4", UNKNOWN)],
)  # fmt: skip
def test_a_position_picks_a_button(typed: str, value: str) -> None:
    # device: computer, phone, tablet, then the "Not sure" button the bot adds
    assert answer_to("device", BOOK, typed) == value


@pytest.mark.parametrize(
    ("name", "typed", "value"),
    [("os", "wnidows", "windows"), ("browser", "frefox", "firefox"),
     ("vpn_problem", "it wont conect", "cannot_connect"), ("slowness", "only nimbsu", "only_nimbus"),
     ("printer_connection", "usb cabel", "usb")],
)  # fmt: skip
def test_one_typo_is_forgiven(name: str, typed: str, value: str) -> None:
    assert answer_to(name, BOOK, typed) == value


@pytest.mark.parametrize(
    ("typed", "device", "os"),
    [("Galaxy S21", "phone", "android"), ("iPhone 14", "phone", "ios"), ("MacBook Air", "computer", "macos"),
     ("my Surface", "computer", "windows"), ("Chromebook", "computer", "other"), ("iPad Pro", "tablet", "ios"),
     ("pixel 7", "phone", "android"), ("a lenovo thinkpad", "computer", "windows")],
)  # fmt: skip
def test_device_names_answer_device_and_os(typed: str, device: str, os: str) -> None:
    assert device_facts(typed) == {"device": device, "os": os}
    assert answer_to("device", BOOK, typed) == device and answer_to("os", BOOK, typed) == os


def test_not_knowing_is_an_answer() -> None:
    for typed in ("idk", "not sure", "no idea", "I don't know", "dunno", "?"):
        assert answer_to("timing", BOOK, typed) == UNKNOWN, typed
    assert answer_to("neighbours", BOOK, "not sure") == "unsure"  # the question's own option


def test_what_is_not_an_answer_stays_unmatched() -> None:
    assert answer_to("os", BOOK, "purple") is None
    assert answer_to("os", BOOK, "windows or mac, not sure which") is None  # two at once is no answer
    assert answer_to("printer_connection", BOOK, "not usb, it's wifi") == "wifi"  # "not X" rules X out
    assert answer_to("error", BOOK, "it says no connection") is None  # free text, not "No error"


def test_several_facts_in_one_message_answer_questions_not_asked_yet() -> None:
    flow = BOOK.flows["wifi_dropout"]
    found = facts_in("windows 11 laptop, only this one, since monday", flow, BOOK)
    assert found == {"os": "windows", "device": "computer", "scope": "one", "since": "this_week"}
    assert facts_in("my wifi keeps dropping every evening", flow, BOOK) == {"timing": "evenings"}


def test_facts_about_the_devices_that_work_are_not_taken_for_the_broken_one() -> None:
    found = facts_in(
        "My desktop PC has no internet, but my phone on the Wi-Fi works fine.", BOOK.flows["no_internet"], BOOK
    )
    assert "connection" not in found


def test_two_options_of_one_question_in_a_message_leave_it_to_be_asked() -> None:
    flow = BOOK.flows["vpn_issue"]
    said = "the nimbus app can't connect while my vpn is on, but only nimbus fails, the rest works through it"
    assert "vpn_problem" not in facts_in(said, flow, BOOK)
    assert facts_in("my vpn won't connect at all", flow, BOOK)["vpn_problem"] == "cannot_connect"


def test_yes_and_no_questions_are_only_read_when_asked() -> None:
    flow = BOOK.flows["wifi_dropout"]
    assert "neighbours" not in facts_in("yes, it drops", flow, BOOK)
    assert facts_in("yeah loads", flow, BOOK, asked="neighbours")["neighbours"] == "yes"


def test_only_questions_that_change_the_steps_are_asked() -> None:
    flow = BOOK.flows["wifi_dropout"]
    assert flow.questions_to_ask({}, BOOK.questions) == ["scope", "os", "timing", "neighbours"]
    # every device affected: the Windows-only step is out of the path, so the OS no longer matters
    assert "os" not in flow.questions_to_ask({"scope": "all"}, BOOK.questions)
    # not in the evening: the neighbours' networks no longer matter
    assert "neighbours" not in flow.questions_to_ask({"scope": "all", "timing": "random"}, BOOK.questions)


@pytest.mark.parametrize(
    ("typed", "meaning"),
    [("yes", "yes"), ("Yep, it works now", "yes"), ("that worked!", "yes"), ("thanks!", "yes"),
     ("perfect, that answers it", "yes"), ("no", "no"), ("nope", "no"), ("didn't help", "no"),
     ("no luck, same problem", "no"), ("still the same", "no"), ("not really", "no"), ("yes but still slow", "no"),
     ("ok", None), ("ok and how long until I get it?", None), ("hmm", None),
     ("The messages are definitely on the website, I already checked", None),
     ("ugh it disconnected again an hour later", "no"), ("the crash came back", "no"), ("working again!", "yes")],
)  # fmt: skip
def test_yes_and_no_are_read_from_the_words_and_a_success_is_never_assumed(typed: str, meaning: str | None) -> None:
    assert yes_no(typed) == meaning


def test_the_problem_back_is_news_a_bare_no_is_not() -> None:
    from bot.actions.understanding.yes_no import problem_persists

    assert problem_persists("ugh it disconnected again") and problem_persists("nope, still not working")
    # At the rating question these decline a rating; they say nothing about the fix.
    assert not problem_persists("no thanks") and not problem_persists("nope") and not problem_persists("no")


def test_conversation_signals() -> None:
    assert all(signals.is_stop(t) for t in ("stop", "Cancel", "never mind", "forget it", "nvm", "stop the questions"))
    assert not signals.is_stop("my app stops when I open it")
    correction = "no, that's not it. I mean: my phone gets no notifications"
    assert (
        signals.is_correction(correction) and signals.restated_problem(correction) == "my phone gets no notifications"
    )
    assert signals.is_correction("wrong problem") and signals.restated_problem("wrong problem") == ""
    assert signals.is_question("how long will this take?") and signals.is_question("will I lose my files")
    assert not signals.is_question("only this one")
    assert signals.asks_for_person("can i talk to a real person") and not signals.asks_for_person("only this one")
    assert signals.is_refusal("I'd rather not give my email")
    assert signals.lacks_it("i don't have it") and signals.lacks_it("can't find the key")
    assert signals.wants_information("where can I find my invoices?")
    assert signals.wants_information("how long does a password have to be? it keeps refusing the one i pick")
    assert not signals.wants_information("my wifi keeps dropping")
    assert not signals.wants_information("how do I fix my wifi?")  # a problem to troubleshoot
    assert not signals.wants_information("can you reset my password")  # a request


def test_what_a_side_question_tells_besides_asking() -> None:
    # In the middle of a flow, the question is answered on the side; only the rest is an answer.
    assert signals.besides_questions("its windows, how do i check the version?") == "its windows"
    assert signals.besides_questions("btw while im here, how much does plus cost a month?") == "btw while im here"
    assert signals.besides_questions("how long will this take?") == ""
    # An aside's marker is no part of what the KB is searched with.
    assert signals.question_core("by the way, what does plus cost per month?") == "what does plus cost per month?"
    assert signals.question_core("btw while i'm here, can i pay with paypal") == "can i pay with paypal"


def test_match_option_outside_its_question_needs_an_unmistakable_phrase() -> None:
    scope = BOOK.questions["scope"]
    assert match_option(scope, "all", asked=True) == "all"
    assert match_option(scope, "it drops all day", asked=False) is None
    assert match_option(scope, "every device at home drops", asked=False) == "all"


@pytest.mark.parametrize(
    ("name", "typed", "value"),
    [
        ("app_platform", "the laptop software", "desktop"),
        ("app_platform", "my phone one", "mobile"),
        ("app_platform", "on the computer", "desktop"),
        ("device", "the tablet", "tablet"),
    ],
)
def test_a_generic_word_after_the_or_my_heads_a_short_answer(name: str, typed: str, value: str) -> None:
    assert match_option(BOOK.questions[name], typed) == value


def test_a_generic_word_deep_in_a_longer_answer_is_still_no_answer() -> None:
    assert match_option(BOOK.questions["scope"], "the other one") is None
    # "one" after "the" stands in for a noun: it is not the option "one device"
    assert match_option(BOOK.questions["scope"], "the one in the kitchen") is None
