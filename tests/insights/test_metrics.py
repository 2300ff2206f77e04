"""Each support figure on a hand-made mix of conversations whose counts are known, the date range
rules, and the definitions docs/insights.md must repeat word for word."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from insights.conversations import fold
from insights.metrics import compute, definitions
from insights.period import InvalidRange, Period
from tests.insights.events import BERLIN, Chat, all_events, the_mix

ROOT = Path(__file__).resolve().parents[2]


def test_every_figure_on_a_known_mix() -> None:
    conversations = fold(all_events(*the_mix()), low_confidence=0.2)
    for c in conversations:  # as insights.handoff_reasons would find them on the tickets
        c.handoff_reasons = [{"NIM-000004": "customer_asked", "NIM-000005": "low_confidence"}[t] for t in c.handoffs]
    a = compute(conversations, Period(dt.date(2026, 11, 24), dt.date(2026, 11, 25), BERLIN), fcr_days=7)
    figures = a.to_json()
    assert figures["conversations"] == 9 and figures["support_conversations"] == 6
    assert figures["containment_rate"] == {"value": round(5 / 6, 4), "numerator": 5, "denominator": 6}
    assert (figures["handoff_rate"]["numerator"], figures["handoff_rate"]["denominator"]) == (2, 9)
    assert {k: v["numerator"] for k, v in figures["handoff_by_reason"].items()} == {
        "customer_asked": 1,
        "low_confidence": 1,
    }
    assert (figures["fallback_rate"]["numerator"], figures["out_of_scope_rate"]["numerator"]) == (2, 1)
    assert figures["csat"] == {"average": 4.0, "count": 2, "distribution": {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1}}
    assert figures["csat_response_rate"] | {"value": None} == {"value": None, "numerator": 2, "denominator": 3}
    # ann, cat and ivy (back after 8 days) resolved at first contact; ben came back, hal from his phone.
    assert (figures["fcr_rate"]["numerator"], figures["fcr_rate"]["denominator"]) == (3, 5)
    assert figures["avg_turns_resolved"] == {"value": 2.6, "turns": 13, "resolved_conversations": 5}
    assert figures["top_intents"][0] == {"intent": "ask_howto", "conversations": 3}
    assert {i["intent"] for i in figures["top_intents"][1:]} == {"no_internet", "printer_issue", "slow_device"}
    assert [
        (d["day"], d["conversations"], d["contained"], d["handoffs"], d["fallbacks"]) for d in figures["trend"]
    ] == [
        ("2026-11-24", 5, 3, 2, 1),
        ("2026-11-25", 4, 2, 0, 1),
    ]


def test_an_empty_range_has_no_rates_rather_than_zero() -> None:
    a = compute([], Period(dt.date(2026, 1, 1), dt.date(2026, 1, 1), BERLIN))
    assert a.containment.value is None and a.csat_average is None and a.avg_turns_resolved is None
    assert a.to_json()["containment_rate"] == {"value": None, "numerator": 0, "denominator": 0}


def test_days_are_local_days() -> None:
    # 23:30 UTC on the 24th is already the 25th in Berlin.
    late = Chat("late", dt.datetime(2026, 11, 24, 23, 30, tzinfo=dt.timezone.utc)).session().user("hi", "greet")
    a = compute(fold(late.events, 0.2), Period(dt.date(2026, 11, 25), dt.date(2026, 11, 25), BERLIN))
    assert a.conversations == 1


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("2026-13-01", "2026-12-01", "from '2026-13-01' is not a date"),
        ("2026-11-01", "yesterday", "to 'yesterday' is not a date"),
        ("2026-11-30", "2026-11-01", "from (2026-11-30) is after to (2026-11-01)"),
        ("2024-01-01", "2026-01-01", "at most 366"),
    ],
)
def test_bad_ranges_are_refused_with_the_reason(first: str, last: str, message: str) -> None:
    with pytest.raises(InvalidRange, match=re.escape(message)):
        Period.parse(first, last, BERLIN, 30)


def test_a_missing_range_is_the_last_days_up_to_today() -> None:
    period = Period.parse(None, None, BERLIN, 30, today=dt.date(2026, 11, 30))
    assert (period.first, period.last, period.days) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30), 30)


def test_the_insights_page_defines_every_figure_in_the_same_words() -> None:
    page = " ".join((ROOT / "docs/insights.md").read_text(encoding="utf-8").split())
    for d in definitions(7):
        assert f"**{d.label}**: {d.sentence}" in page, d.label
