"""When anger hands a conversation over, and when the bot acknowledges it and keeps working
(bot/nlu/frustration_cues.py; the NLU component and the action server both follow it)."""

from __future__ import annotations

import pytest

from bot.nlu.frustration_cues import frustration_score, hand_over_at_once, is_frustrated


@pytest.mark.parametrize(
    "text",
    [
        "THE DESKTOP APP CLOSES THE SECOND I OPEN A SPREADSHEET!!!",
        "my printer is useless, it shows offline AGAIN and I need to print a contract in ten minutes",
        "WHY CAN'T I LOG IN!!! IT SAYS MY ACCOUNT IS LOCKED",
    ],
)
def test_anger_about_a_problem_the_bot_can_fix_is_acknowledged_not_handed_over(text: str) -> None:
    assert is_frustrated(text)
    assert not hand_over_at_once(text, names_a_problem=True)


@pytest.mark.parametrize(
    "text",
    [
        "this is unacceptable, the sync has been broken for days",  # unmistakable anger
        "I've tried everything and the wifi STILL drops every hour!!",  # fixes already failed
        "third time this week the app crashed on me, SERIOUSLY",  # it keeps coming back
        "NO!!! STILL CRASHING",  # anger right after a step that failed
    ],
)
def test_anger_after_failed_fixes_or_beyond_doubt_goes_to_a_person(text: str) -> None:
    assert hand_over_at_once(text, names_a_problem=True)


def test_anger_with_no_problem_to_work_on_goes_to_a_person() -> None:
    assert hand_over_at_once("you people are HOPELESS, RIDICULOUS", names_a_problem=False)


@pytest.mark.parametrize(
    "text", ["nimbus is acting up again", "so annoying, my wifi drops", "I can't open the PDF on my PC", "/deny"]
)
def test_mild_annoyance_abbreviations_and_buttons_are_not_anger(text: str) -> None:
    assert not is_frustrated(text)
    assert not hand_over_at_once(text, names_a_problem=False)


def test_shouting_counts_but_abbreviations_do_not() -> None:
    assert frustration_score("MY VPN ON MY PC") == 0
    assert frustration_score("NOTHING LOADS AT ALL") == 2
