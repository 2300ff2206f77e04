"""Asking is not requesting: whether a refund is possible is the refund policy's question; asking
for one, or a charge that looks wrong, is the billing team's at once."""

from __future__ import annotations

import pytest

from bot.actions.billing import about_a_payment, asks_for_plan_change
from bot.actions.understanding.text import normalise


@pytest.mark.parametrize(
    "text",
    [
        "is it possible to get a refund on the yearly plan",
        "do i get my money back if i stop in the first week?",
        "how long does it take to get money back on paypal",
        "would I be entitled to a refund after two weeks?",
    ],
)
def test_a_question_whether_a_refund_is_possible_is_not_a_payment_request(text: str) -> None:
    assert not about_a_payment(normalise(text))


@pytest.mark.parametrize(
    "text",
    [
        "I want my money back",
        "can you refund my last payment please",
        "i need a refund, you charged me twice",
        "please give me my money back for this month",
        "refund me",
    ],
)
def test_asking_for_money_back_goes_to_the_billing_team(text: str) -> None:
    assert about_a_payment(normalise(text))


def test_a_cancellation_named_as_a_condition_is_not_a_request_to_cancel() -> None:
    assert not asks_for_plan_change(normalise("will i get anything back if i cancel mid month?"))
    assert asks_for_plan_change(normalise("cancel my plus plan"))
    assert asks_for_plan_change(normalise("can you cancel my subscription"))
    # The change may be named a word or two after "if I"
    assert not asks_for_plan_change(normalise("if we go back to free later, do we keep the old invoices?"))
    assert not asks_for_plan_change(normalise("when i finally switch to business, how much is it per person?"))
    assert asks_for_plan_change(normalise("please move me up to business"))


@pytest.mark.parametrize(
    ("text", "about_a_payment_of_theirs"),
    [
        ("would we pay double if we move to business in the middle of the month?", False),
        ("am i billed for the full year again when i switch plans", False),
        ("you charged me again after i switched plans", True),
        ("why was i billed twice this month", True),
    ],
)
def test_a_charge_still_to_come_is_a_pricing_question(text: str, about_a_payment_of_theirs: bool) -> None:
    assert about_a_payment(normalise(text)) is about_a_payment_of_theirs
