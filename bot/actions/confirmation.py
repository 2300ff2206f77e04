"""Yes-or-no questions before the bot does something (change a plan, cancel, move a licence seat,
pass the conversation to a person): confirm_form asks, reads the typed or tapped answer, and only
an explicit yes counts; `action_confirmed` then does what was asked.

The question is set by the action that offers it (`bot.actions.asking.confirm`): the `pending` slot says what it
is about, `confirm_question` holds its text and buttons.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.asking import (
    ANSWERS,
    CONFIRMED,
    MAX_ASKS,
    QUESTION_SLOT,
    asked_again,
    not_understood,
    times_asked,
    unchanged,
)
from bot.actions.detours import answer_on_the_side, route_again
from bot.actions.dialogue import YES_NO, latest_text
from bot.actions.interruptions import Interruption, interruption
from bot.actions.understanding import signals
from bot.actions.understanding.text import normalise, same_word, words
from bot.actions.understanding.yes_no import SHORT_ANSWER, yes_no

# Words that answer a particular question by naming what it offers ("just cancel it", "keep it").
MEANS_YES = {
    "confirm_cancel": re.compile(r"\b(?<!dont )(?<!not )cancel\b|\bend it\b|\bgo ahead\b"),
    "confirm_plan_change": re.compile(r"\b(?:do it|go ahead|change it|switch|upgrade me|downgrade me|sounds good)\b"),
    "confirm_release": re.compile(r"\b(?:move it|release it|go ahead|do it|activate)\b"),
    "offer_person": re.compile(r"\b(?:person|human|agent|someone|please do|go ahead)\b"),
}
MEANS_NO = {
    "confirm_cancel": re.compile(r"\b(?:keep|stay|dont cancel|not cancel)\b"),
    "confirm_plan_change": re.compile(r"\b(?:keep|leave it|stay)\b"),
    "confirm_release": re.compile(r"\b(?:keep|leave (?:it|them))\b"),
    "offer_person": re.compile(
        r"\b(?:no ticket|no thanks|not now|no need|(?:dont|do not) (?:want|need) "
        r"(?:a |an |to talk to a |to speak to a |to talk to |to speak to )?(?:person|human|agent|someone))\b"
    ),
}


PLANS = ("free", "plus", "business")
# A person was only offered: a message of this many words that is no answer is taken up instead.
OFFER_IGNORED_WORDS = 3


def plan_named(text: str) -> str | None:
    """The one plan a message names ("the business one", "plus please", "busness")."""
    said = words(text)
    named = {p for p in PLANS if any(same_word(w, p) for w in said)}
    return named.pop() if len(named) == 1 else None


_PLAIN_NO = re.compile(r"^(?:no|nope|nah|not now|no thanks|no thank you|dont|do not|rather not)\b")


def only_a_negation(text: str) -> bool:
    """A longer message whose "no" is only a "can't" or "won't" inside it ("i can't stay signed in
    to the website"): a statement, not a plain refusal, which starts with one or says so."""
    said = normalise(text)
    return len(said.split()) > SHORT_ANSWER and not _PLAIN_NO.match(said) and not MEANS_NO["offer_person"].search(said)


def verdict(pending: str, text: str) -> str | None:
    said = normalise(text)
    named_yes = MEANS_YES.get(pending)
    named_no = MEANS_NO.get(pending)
    if named_no and named_no.search(said):
        return "no"
    if named_yes and named_yes.search(said):
        return "yes"
    return yes_no(text)


def not_understood_here(tracker: Tracker, pending: str, text: str) -> dict[str, Any]:
    """The unclear answer to this yes/no question, recorded for the review inbox under `pending`."""
    question = tracker.get_slot(QUESTION_SLOT) or {}
    options = {
        {"/affirm": "yes", "/deny": "no"}.get(b.get("payload", ""), b.get("payload", "").lstrip("/")): b["title"]
        for b in question.get("buttons") or YES_NO
        if b.get("title")
    }
    return not_understood(pending, question.get("text") or "Shall I go ahead?", options, text, answer_slot=CONFIRMED)


class ActionAskConfirmed(Action):
    def name(self) -> str:
        return f"action_ask_{CONFIRMED}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        question = tracker.get_slot(QUESTION_SLOT) or {}
        again = times_asked(tracker, CONFIRMED) > 0
        text = question.get("text") or "Shall I go ahead?"
        dispatcher.utter_message(
            text="Sorry, is that a yes or a no?" if again else text, buttons=question.get("buttons") or YES_NO
        )
        return [asked_again(tracker, CONFIRMED)]


class ValidateConfirmForm(FormValidationAction):
    def name(self) -> str:
        return "validate_confirm_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[str]:
        return [CONFIRMED] if tracker.get_slot("pending") else []

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        pending = tracker.get_slot("pending")
        if not pending:
            return [SlotSet("requested_slot", None), FollowupAction("action_listen")]
        if tracker.get_slot("requested_slot") != CONFIRMED:
            return [SlotSet("requested_slot", CONFIRMED), SlotSet(CONFIRMED, None), SlotSet("open_question", None)]
        text = latest_text(tracker).strip()
        if pending == "choose_plan":
            plan = plan_named(text)
            if plan:
                return [SlotSet("plan", plan), SlotSet(CONFIRMED, "yes"), SlotSet("requested_slot", None)]
        said = {"/affirm": "yes", "/deny": "no"}.get(text)
        if said is None and text.startswith("/"):
            if pending == "offer_person" and text.startswith("/request_human"):
                said = "yes"
            else:
                return []  # another button: its intent's rules take it
        kind = None
        if said is None:
            said = None if signals.is_unknown(text) else verdict(pending, text)
            if said == "no" and pending == "offer_person" and only_a_negation(text):
                said = None  # "i can't stay signed in to the website": the problem again, not "no ticket"
            kind = None if said else interruption(tracker)
        if kind in (Interruption.PERSON,) and pending == "offer_person":
            said = "yes"
        elif kind in (Interruption.PERSON, Interruption.FRUSTRATED, Interruption.OTHER_WORDING):
            return []
        if kind is Interruption.STOP:
            said = "no"
        if said:
            return [SlotSet(CONFIRMED, said), SlotSet("requested_slot", None)]
        offered_only = pending == "offer_person" and len(words(text)) >= OFFER_IGNORED_WORDS
        if kind in (Interruption.NEW_PROBLEM, Interruption.CORRECTION) or offered_only:
            # Something else instead of an answer (a person was only offered): that is taken up.
            routed = await route_again(tracker, text)
            if routed:
                return [SlotSet("pending", None), SlotSet("requested_slot", None), *routed]
        if kind is Interruption.QUESTION:
            await answer_on_the_side(dispatcher, text)
            return [unchanged(tracker), SlotSet("requested_slot", CONFIRMED)]
        missed = not_understood_here(tracker, pending, text)
        if times_asked(tracker, CONFIRMED) >= MAX_ASKS:
            # Twice no clear answer: nothing is changed without an explicit yes.
            return [missed, SlotSet(CONFIRMED, "no"), SlotSet("requested_slot", None)]
        return [missed, unchanged(tracker), SlotSet("requested_slot", CONFIRMED)]


class ActionConfirmed(Action):
    """Do what the customer said yes to, or leave it; which offer it was is in `pending`."""

    def name(self) -> str:
        return "action_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        pending = tracker.get_slot("pending")
        yes = tracker.get_slot(CONFIRMED) == "yes"
        # Registered by the capability that asked (bot/actions/asking.py on_answer).
        answer = ANSWERS.get(pending or "")
        reset = [SlotSet(CONFIRMED, None), SlotSet(QUESTION_SLOT, None), SlotSet("pending", None)]
        if answer is None:
            return [*reset, SlotSet("resolved", False)]
        return [*reset, *await answer(dispatcher, tracker, yes)]
