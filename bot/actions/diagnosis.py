"""The diagnosis of a troubleshooting flow (diagnosis_form): a few questions, only those whose answer
can still change the steps, each asked at most twice in a row.

The form's validation action sees every message while a question is open and decides what it is:
an answer (tapped or typed, for this question or for others not asked yet), "not sure", a question
on the side (answered from the KB, then the same question again), "stop", a correction or a new
problem (the flow ends and the message is routed again), or something for the rules (a person,
frustration, other wording), which it leaves to them by extracting nothing.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.asking import MAX_ASKS, asked_again, not_understood, times_asked, unchanged
from bot.actions.detours import answer_on_the_side, leave_flow, take_up_instead
from bot.actions.dialogue import latest_text, wording
from bot.actions.flow_content import UNKNOWN, Flow, flow_book
from bot.actions.interruptions import Interruption, interruption
from bot.actions.understanding.facts import facts_in
from bot.actions.understanding.signals import (
    besides_questions,
    contradiction,
    is_correction,
    restated_problem,
    wants_information,
)

SLOT_PREFIX = "q_"
NOT_SURE = "Not sure"
MAX_FREE_TEXT = 300
LEFT_TO_RULES = (Interruption.PERSON, Interruption.FRUSTRATED, Interruption.OTHER_WORDING)


def question_slot(name: str) -> str:
    return f"{SLOT_PREFIX}{name}"


def current_flow(tracker: Tracker) -> Flow | None:
    return flow_book().flows.get(tracker.get_slot("ts_flow") or "")


def answers(tracker: Tracker, flow: Flow) -> dict[str, str]:
    """What the diagnosis knows so far: option values, `unknown`, or free text."""
    names = [*flow.questions, *flow.always_ask]
    return {q: tracker.get_slot(question_slot(q)) for q in names if tracker.get_slot(question_slot(q))}


def questions_left(tracker: Tracker, flow: Flow) -> list[str]:
    return flow.questions_to_ask(answers(tracker, flow), flow_book().questions)


def buttons_for(name: str) -> list[dict[str, str]]:
    question = flow_book().questions[name]
    buttons = [{"title": title, "payload": title} for title in question.titles()]
    if not any(value in ("unsure", UNKNOWN) for value in question.options):
        buttons.append({"title": NOT_SURE, "payload": NOT_SURE})
    return buttons


def facts_events(found: dict[str, str]) -> list[dict[str, Any]]:
    return [SlotSet(question_slot(q), value) for q, value in found.items()]


class ValidateDiagnosisForm(FormValidationAction):
    def name(self) -> str:
        return "validate_diagnosis_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[str]:
        flow = current_flow(tracker)
        return [question_slot(q) for q in questions_left(tracker, flow)] if flow else []

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        flow = current_flow(tracker)
        if flow is None:
            return [SlotSet("requested_slot", None)]
        requested = tracker.get_slot("requested_slot") or ""
        if not requested.startswith(SLOT_PREFIX):
            # Activation: the first message's facts are already in; just choose the first question.
            return [*self.next_question(tracker, flow, [])]
        events = await self.understand(dispatcher, tracker, flow, requested[len(SLOT_PREFIX) :])
        if events is None:
            return []  # not an answer: the form steps aside and the rules handle the message
        if any(e.get("event") == "user" for e in events):
            return events  # routed again: the flow is over
        return [*events, *self.next_question(tracker, flow, events)]

    @staticmethod
    def next_question(tracker: Tracker, flow: Flow, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for e in events:
            if e.get("event") == "slot":
                tracker.slots[e["name"]] = e["value"]
        if tracker.get_slot("ts_flow") is None:
            return [SlotSet("requested_slot", None)]
        left = questions_left(tracker, flow)
        return [SlotSet("requested_slot", question_slot(left[0]) if left else None), unchanged(tracker)]

    async def understand(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, flow: Flow, name: str
    ) -> list[dict[str, Any]] | None:
        text = latest_text(tracker).strip()
        bank = flow_book().questions
        question = bank[name]
        if text == NOT_SURE or text in question.titles():
            found = {
                name: UNKNOWN if text == NOT_SURE else next(v for v, o in question.options.items() if o.title == text)
            }
            return facts_events(found)
        if is_correction(text):
            # "No, that's not it: <another problem>" is a correction even if it names an option.
            corrected = await self.correct_course(dispatcher, tracker, flow, text, Interruption.CORRECTION)
            if corrected:
                return corrected
        elif "no" not in question.options and contradiction(text):
            # "No, the page loads fine, it's the tab that crashes" to a question a "no" cannot answer.
            corrected = await self.correct_course(
                dispatcher, tracker, flow, contradiction(text), Interruption.NEW_PROBLEM, sure=True
            )
            if corrected:
                return corrected
        if text.startswith("/"):
            return None  # another button (a person, other wording, "did you mean"): the rules take it
        found = facts_in(text, flow, flow_book(), asked=name)
        if name in found:
            return facts_events(found)
        kind = interruption(tracker, flow.intent, questions_are_detours=True)
        if kind in LEFT_TO_RULES:
            return None
        if kind is Interruption.STOP:
            dispatcher.utter_message(text="OK, I've stopped. To pick it up again, just tell me what's wrong.")
            return [*leave_flow(), FollowupAction("action_listen")]
        if kind is Interruption.NEW_PROBLEM:
            taken = await self.correct_course(dispatcher, tracker, flow, text, kind)
            if taken:
                return taken
        if kind is Interruption.CORRECTION:
            dispatcher.utter_message(text="Sorry, I got that wrong. What's the problem, in a sentence or two?")
            return [*leave_flow(), FollowupAction("action_listen")]
        if kind is Interruption.QUESTION and (not found or wants_information(text)):
            await answer_on_the_side(dispatcher, text)
            told = facts_in(besides_questions(text), flow, flow_book())
            return self.ask_again(dispatcher, tracker, name, told, sorry=False)
        if question.free_text and text and not found:
            return facts_events({name: text[:MAX_FREE_TEXT]})
        return self.ask_again(dispatcher, tracker, name, found, sorry=not found)

    def ask_again(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, name: str, found: dict[str, str], sorry: bool
    ) -> list[dict[str, Any]]:
        """The same question once more, or, asked twice already, on without it. An answer that
        matched no option is recorded for the review inbox either way."""
        missed = [self.missed(tracker, name)] if sorry else []
        if times_asked(tracker, name) >= MAX_ASKS:
            dispatcher.utter_message(text="No problem, let's go on without that.")
            return [*missed, *facts_events({**found, name: UNKNOWN})]
        if sorry:
            dispatcher.utter_message(text="Sorry, I didn't catch that. Tap one of the options, or say it another way.")
        return [*missed, *facts_events(found)]

    @staticmethod
    def missed(tracker: Tracker, name: str) -> dict[str, Any]:
        question = flow_book().questions[name]
        return not_understood(
            name,
            question.text(wording(tracker)),
            {value: option.title for value, option in question.options.items()},
            latest_text(tracker).strip(),
            tracker.get_slot("ts_flow") or "",
            question_slot(name),
        )

    @staticmethod
    async def correct_course(
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        flow: Flow,
        text: str,
        kind: Interruption,
        sure: bool = False,
    ) -> list[dict[str, Any]] | None:
        """The flow ends and what the customer said instead is taken up; None when it names nothing."""
        restated = restated_problem(text) if kind is Interruption.CORRECTION else text
        if not restated:
            return None
        lead = CollectingDispatcher()
        taken = await take_up_instead(lead, tracker, restated, exclude=flow.intent, sure=sure)
        if not taken:
            return None
        if kind is Interruption.CORRECTION:
            dispatcher.utter_message(text="Sorry, I got that wrong.")
        dispatcher.messages.extend(lead.messages)
        return [*leave_flow(), *taken]


def make_ask_action(name: str) -> type[Action]:
    """`action_ask_q_<name>`: the question in the customer's wording, with its options as buttons;
    counts how often it was asked in a row."""

    class AskQuestion(Action):
        def name(self) -> str:
            return f"action_ask_{question_slot(name)}"

        async def run(
            self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
        ) -> list[dict[str, Any]]:
            question = flow_book().questions[name]
            dispatcher.utter_message(text=question.text(wording(tracker)), buttons=buttons_for(name))
            return [asked_again(tracker, name)]

    AskQuestion.__name__ = f"ActionAskQ{''.join(p.title() for p in name.split('_'))}"
    return AskQuestion


ASK_ACTIONS = [make_ask_action(name) for name in flow_book().questions]
