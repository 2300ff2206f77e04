"""Asking the customer something, at most twice in a row: every question the bot asks is counted in
the `open_question` slot ({"question": ..., "times": n}); a form that gets no usable answer the
second time goes on without it (or offers a person) instead of asking a third time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

OPEN_QUESTION = "open_question"
MAX_ASKS = 2
CONFIRMED = "confirmed"  # the answer to a yes/no question of confirm_form: "yes" / "no"
QUESTION_SLOT = "confirm_question"  # that question: {"text", "buttons"}
# The latest answer the bot could not match to a question's options (the review inbox's flow
# section and the analytics read it from the tracker store): see `not_understood`.
NOT_UNDERSTOOD_SLOT = "answer_not_understood"
MAX_RECORDED_ANSWER = 300


def times_asked(tracker: Tracker, question: str) -> int:
    asked = tracker.get_slot(OPEN_QUESTION) or {}
    return int(asked.get("times", 0)) if asked.get("question") == question else 0


# Runs when the customer asked for other words ("explain simpler"): the question that follows is
# the same one reworded.
REWORDING_ACTION = "action_set_detail_level"


def reworded_on_request(tracker: Tracker) -> bool:
    """Whether the bot has just reworded on the customer's request since their last message. The
    NLU's guess alone is not enough: an answer it reads as "explain simpler" ("the computer
    program") but the question did not understand is a miss, and counting it as a rewording would
    ask the same question for ever."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "action" and event.get("name") == REWORDING_ACTION:
            return True
    return False


def asked_again(tracker: Tracker, question: str) -> dict[str, Any]:
    """The slot event for asking `question` (once more). Asking again in other words because the
    customer asked for them ("explain simpler") does not count."""
    reworded = reworded_on_request(tracker)
    times = times_asked(tracker, question) + (0 if reworded and times_asked(tracker, question) else 1)
    return SlotSet(OPEN_QUESTION, {"question": question, "times": times})


def not_understood(
    question: str,
    asked: str,
    options: dict[str, str],
    text: str,
    flow: str = "",
    answer_slot: str | None = None,
) -> dict[str, Any]:
    """The slot event recording that `text` answered `question` (worded `asked`, options as
    {value: button title}) with nothing the bot understood, just before it asks again.
    `answer_slot` is where the question's answer lands when the customer gets through (so a reader
    can tell which option they meant after all); `flow` is the troubleshooting flow's intent."""
    return SlotSet(
        NOT_UNDERSTOOD_SLOT,
        {
            "question": question,
            "asked": asked,
            "options": options,
            "text": text[:MAX_RECORDED_ANSWER],
            "flow": flow,
            "answer_slot": answer_slot,
        },
    )


def unchanged(tracker: Tracker) -> dict[str, Any]:
    """The count set again as it is: a form's validation that must return some slot event (or Rasa
    takes the turn for "nothing extracted") and has nothing else to say."""
    return SlotSet(OPEN_QUESTION, tracker.get_slot(OPEN_QUESTION))


# What a yes or no to confirm_form's question does, by `pending`: each capability registers its own
# where it asks (`@on_answer("confirm_cancel")`), so confirm_form needs to know none of them.
Answer = Callable[[CollectingDispatcher, Tracker, bool], Awaitable[list[dict[str, Any]]]]
ANSWERS: dict[str, Answer] = {}


def on_answer(pending: str) -> Callable[[Answer], Answer]:
    """Register what the answer ("yes": True) to the question about `pending` does."""

    def register(answer: Answer) -> Answer:
        if ANSWERS.get(pending, answer) is not answer:
            raise ValueError(f"a second answer handler for {pending!r}")
        ANSWERS[pending] = answer
        return answer

    return register


def confirm(pending: str, text: str, buttons: list[dict[str, str]], if_no: str | None = None) -> list[dict[str, Any]]:
    """Events that put a yes/no question to the customer through confirm_form (bot/actions/
    confirmation.py); `pending` says what it is about, `if_no` what a "no" is told instead of the
    usual reply."""
    question = {"text": text, "buttons": buttons} | ({"if_no": if_no} if if_no else {})
    return [
        SlotSet("pending", pending),
        SlotSet(QUESTION_SLOT, question),
        SlotSet(CONFIRMED, None),
        SlotSet("requested_slot", None),
        FollowupAction("confirm_form"),
    ]


def make_ask_response_action(slot: str) -> type[Action]:
    """`action_ask_<slot>`: the domain's `utter_ask_<slot>`, counted."""

    class AskResponse(Action):
        def name(self) -> str:
            return f"action_ask_{slot}"

        async def run(
            self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
        ) -> list[dict[str, Any]]:
            dispatcher.utter_message(response=f"utter_ask_{slot}")
            return [asked_again(tracker, slot)]

    AskResponse.__name__ = f"ActionAsk{''.join(p.title() for p in slot.split('_'))}"
    return AskResponse


ASK_RESPONSE_ACTIONS = [make_ask_response_action(slot) for slot in ("email", "otp_code", "ticket_id", "license_key")]
