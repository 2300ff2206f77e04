"""Answers to flow questions that matched no option: how the fold reads them and what came next
(insights/conversations.py), the inbox's per-question groups (insights/flow_inbox.py), the
analytics' row and per-question table (insights/metrics.py), and teaching an option new answers
(insights/flow_variants.py) on a copy of bot/flows."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.actions.flow_content import FLOWS_DIR, load_flows
from insights.conversations import ASKED_FOR_PERSON, LEFT, NOT_UNDERSTOOD_AGAIN, REPHRASED, TAPPED, fold
from insights.flow_inbox import build_flow_inbox
from insights.flow_variants import VariantError, add_variants, answered_phrases, mark_noise
from insights.inbox import TextVectors, UnknownGroup
from insights.metrics import compute
from insights.period import Period
from tests.insights.events import BERLIN, Chat, all_events, flow_customers


def test_what_the_customer_did_after_an_answer_was_not_understood() -> None:
    by_id = {c.conversation_id: c for c in fold(all_events(*flow_customers()), low_confidence=0.2)}
    (tap,) = by_id["tap"].flow_misses
    assert (tap.question, tap.text, tap.flow, tap.next, tap.then_option) == (
        "scope",
        "just the one laptop thing",
        "wifi_dropout",
        TAPPED,
        "Only this device",
    )
    (typed,) = by_id["typed"].flow_misses
    assert (typed.next, typed.then_option) == (REPHRASED, "Only this device")
    first, second = by_id["again"].flow_misses
    assert (first.next, second.next) == (NOT_UNDERSTOOD_AGAIN, LEFT)
    assert by_id["person"].flow_misses[0].next == ASKED_FOR_PERSON
    assert by_id["gone"].flow_misses[0].next == LEFT
    assert by_id["fine"].flow_misses == [] and not by_id["fine"].flow_question_not_understood
    # Asked again in a row counts as one time asked.
    assert [(a.question, a.not_understood, a.answered, a.handed_over) for a in by_id["again"].asks] == [
        ("scope", 2, False, False)  # left while asked again
    ]
    assert [(a.answered, a.handed_over) for a in by_id["person"].asks] == [(True, True)]


def test_the_analytics_count_in_flow_misunderstandings_and_where_customers_get_stuck() -> None:
    conversations = fold(all_events(*flow_customers()), low_confidence=0.2)
    period = Period.parse("2026-11-24", "2026-11-24", BERLIN, 30)
    a = compute(conversations, period)
    assert (a.flow_not_understood.numerator, a.flow_not_understood.denominator) == (5, 6)
    assert a.fallback.numerator == 0  # the NLU fallback is a different figure
    (scope,) = a.questions
    assert (scope.question, scope.label, scope.asked) == ("scope", "Is it just this device?", 6)
    assert (scope.not_understood.numerator, scope.dropped.numerator, scope.handed_over.numerator) == (5, 2, 1)
    assert a.to_json()["flow_not_understood_rate"]["value"] == round(5 / 6, 4)
    assert a.to_json()["stuck_questions"][0]["drop_off_rate"]["numerator"] == 2


@pytest.fixture(scope="module")
def vectors(embedder) -> TextVectors:
    return TextVectors(embedder)


def test_unmatched_answers_grouped_per_question_with_the_option_chosen_next(vectors: TextVectors) -> None:
    conversations = fold(all_events(*flow_customers()), low_confidence=0.2)
    inbox = build_flow_inbox(conversations, vectors, 0.65, {"scope": {"asdfgh"}})
    (section,) = inbox.sections
    assert (section.question, section.asked, section.flows) == ("scope", "Is it just this device?", ["wifi_dropout"])
    assert inbox.handled == 1  # the noise is left out
    laptop = next(g for g in section.groups if "only the one laptop" in g.examples)
    assert set(laptop.examples) == {"just the one laptop thing", "only the one laptop"}
    assert laptop.hint == "Only this device" and laptop.next == {TAPPED: 1, REPHRASED: 1}
    house = next(g for g in section.groups if "the whole house" in g.examples)
    assert laptop.id != house.id
    assert inbox.find(laptop.id) == (section, laptop)
    assert section.option_for("only this device") == "one" and section.option_for("one") == "one"
    with pytest.raises(UnknownGroup):
        inbox.find("0000000000")
    with pytest.raises(UnknownGroup):
        section.option_for("Sometimes")


@pytest.fixture()
def flows(tmp_path: Path) -> Path:
    shutil.copytree(FLOWS_DIR, tmp_path / "flows")
    return tmp_path / "flows"


def test_a_group_becomes_phrases_of_an_option_and_nothing_else_in_the_file_changes(flows: Path) -> None:
    before = (flows / "questions.yml").read_text(encoding="utf-8")
    preview = add_variants(flows, "scope", "one", ["Just the one laptop thing", "only the one laptop"], write=False)
    assert not preview.written and (flows / "questions.yml").read_text(encoding="utf-8") == before
    assert "+" in preview.diff and '"just the one laptop thing"' in preview.diff
    done = add_variants(flows, "scope", "one", ["Just the one laptop thing", "only the one laptop"], write=True)
    assert done.written and done.added == ["just the one laptop thing", "only the one laptop"]
    after = (flows / "questions.yml").read_text(encoding="utf-8")
    changed = [line for line in after.splitlines() if line not in before.splitlines()]
    assert all("laptop" in line for line in changed)  # only the edited list's lines
    assert "just the one laptop thing" in load_flows(flows).questions["scope"].options["one"].say
    assert "only the one laptop" in answered_phrases(flows)["scope"]
    # Said for an option already (this one or another): skipped with the reason, nothing written.
    again = add_variants(flows, "scope", "all", ["only the one laptop"], write=True)
    assert not again.written and again.skipped == [("only the one laptop", "already option 'one'")]
    with pytest.raises(VariantError, match="no question"):
        add_variants(flows, "no_such_question", "one", ["x"], write=True)
    with pytest.raises(VariantError, match="has no option"):
        add_variants(flows, "scope", "sometimes", ["x"], write=True)


MINIMAL = """\
questions:
  q:
    plain: "Which?"
    technical: "Which one?"
    options:
      short: "Short"
      mapped:
        title: "Mapped"
      listed:
        title: "Listed"
        say:
          - "listed one"
"""


@pytest.mark.parametrize("option", ["short", "mapped", "listed"])
def test_every_way_an_option_can_be_written_takes_new_phrases(tmp_path: Path, option: str) -> None:
    (tmp_path / "troubleshooting").mkdir()
    (tmp_path / "questions.yml").write_text(MINIMAL, encoding="utf-8")
    add_variants(tmp_path, "q", option, ["a new one", "and another"], write=True)
    said = load_flows(tmp_path).questions["q"].options[option]
    assert said.say[-2:] == ["a new one", "and another"]
    assert said.title == option.title()


def test_noise_leaves_the_inbox_and_is_recorded_once(flows: Path) -> None:
    assert mark_noise(flows, "scope", ["ASDFGH!", "asdfgh"]) == ["asdfgh"]
    assert mark_noise(flows, "scope", ["asdfgh"]) == []
    assert "asdfgh" in answered_phrases(flows)["scope"]
    assert (flows / "noise.yml").read_text(encoding="utf-8").startswith("# Answers to flow questions")


def test_a_yes_no_question_of_the_confirm_form_is_counted_under_what_it_asked() -> None:
    chat = Chat("confirm", dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.timezone.utc)).session()
    chat.user("I want a person", "request_human").slot("pending", "offer_person")
    chat.action("action_ask_confirmed").bot("Would you like a person?", ["Yes", "No"])
    chat.slot("open_question", {"question": "confirmed", "times": 1}).action("action_listen")
    chat.user("maybe later idk", "inform", 0.4).action("validate_confirm_form")
    record = {"question": "offer_person", "asked": "Would you like a person?", "options": {"yes": "Yes", "no": "No"}}
    chat.slot("answer_not_understood", record | {"text": "maybe later idk", "flow": "", "answer_slot": "confirmed"})
    chat.slot("open_question", {"question": "confirmed", "times": 1})
    chat.user("Yes", "affirm", 1.0).slot("confirmed", "yes")
    (c,) = fold(chat.events, low_confidence=0.2)
    assert [(a.question, a.not_understood) for a in c.asks] == [("offer_person", 1)]
    (miss,) = c.flow_misses
    assert (miss.question, miss.next, miss.then_option) == ("offer_person", TAPPED, "Yes")
