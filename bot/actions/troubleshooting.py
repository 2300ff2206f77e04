"""Structured troubleshooting: a short diagnosis (diagnosis_form, bot/actions/diagnosis.py), then one
step at a time, each followed by "did that fix it?" (step_form); the answers choose the path; after
the last step a help article or a person takes over.

The questions and steps are data (bot/flows/, see bot/actions/flow_content.py). Diagnosis answers live in
`q_<question>` slots, the flow in `ts_flow`, the position in `ts_step`, the history in `ts_steps_tried`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.asking import MAX_ASKS, OPEN_QUESTION, asked_again, not_understood, times_asked
from bot.actions.detours import answer_on_the_side, denied_and_said_instead, leave_flow, take_up_instead
from bot.actions.diagnosis import answers, current_flow, question_slot
from bot.actions.dialogue import latest_intent, latest_text, leave_csat_question, now_iso, wording
from bot.actions.done_already import fixed_just_now
from bot.actions.empathy import acknowledge_frustration
from bot.actions.flow_content import Flow, Step, flow_book
from bot.actions.handoff import hand_over
from bot.actions.interruptions import Interruption, angry, interruption
from bot.actions.kb import answer_with, get_searcher
from bot.actions.triage import kb_first
from bot.actions.understanding.facts import facts_in
from bot.actions.understanding.signals import is_correction, is_unknown, restated_problem
from bot.actions.understanding.yes_no import problem_persists, yes_no
from kb_index.search import Hit, IndexNotBuiltError

DID_IT_FIX = [
    {"title": "Yes, that fixed it", "payload": "/affirm"},
    {"title": "No, still not working", "payload": "/deny"},
]
# Entity slots the NLU may already have filled from the first message: they answer questions.
PREFILL_FROM_ENTITIES = {"device": "device", "os": "os", "app_platform": "app_platform", "browser": "browser"}
OUTCOME_SLOT = "step_outcome"
FIXED, EXHAUSTED = "fixed", "exhausted"
SHOWN_SLOT = "ts_shown"  # {"step": index, "wording": ...}: the step text the customer has on screen
LEFT_TO_RULES = (Interruption.PERSON, Interruption.FRUSTRATED, Interruption.OTHER_WORDING)


def outcome_question(tracker: Tracker) -> str:
    """ "Did that fix it?" about step n is a question of its own: each step may be asked twice."""
    return f"{OUTCOME_SLOT}:{int(tracker.get_slot('ts_step') or 0)}"


def path_of(tracker: Tracker, flow: Flow) -> list[Step]:
    return flow.path(answers(tracker, flow), flow_book().questions)


def prefilled_answers(tracker: Tracker, flow: Flow) -> dict[str, str]:
    """What the first message already answers: its words ("only my laptop, since monday") and the
    entities the NLU found in it."""
    found = facts_in(latest_text(tracker), flow, flow_book())
    for slot, name in PREFILL_FROM_ENTITIES.items():
        value = tracker.get_slot(slot)
        if value and name in flow.questions and name not in found:
            extra = facts_in(str(value), flow, flow_book(), asked=name)
            if extra.get(name) in flow_book().questions[name].options:
                found[name] = extra[name]
    error = tracker.get_slot("error_code")
    if error:
        for name in ("error_code", "error"):
            if name in flow.questions and name not in found:
                found[name] = facts_in(str(error), flow, flow_book(), asked=name).get(name) or str(error)
    return found


def step_message(path: list[Step], index: int, tracker: Tracker) -> str:
    step = path[index]
    return f"**Step {index + 1} of {len(path)}: {step.title}**\n{step.text(wording(tracker))}"


def record(tracker: Tracker, flow: Flow, step: Step, outcome: str) -> list[dict[str, Any]]:
    return [
        *(tracker.get_slot("ts_steps_tried") or []),
        {"flow": flow.intent, "step_id": step.id, "title": step.title, "outcome": outcome, "at": now_iso()},
    ]


def finished(resolved: bool) -> list[dict[str, Any]]:
    return [
        SlotSet("ts_flow", None),
        SlotSet("ts_step", None),
        SlotSet(SHOWN_SLOT, None),
        SlotSet("pending", None),
        SlotSet("resolved", resolved),
    ]


class ActionStartTroubleshooting(Action):
    """A troubleshooting intent: start its flow with what the first message already says."""

    def name(self) -> str:
        return "action_start_troubleshooting"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        instead = await denied_and_said_instead(tracker, intent)
        if instead:
            return instead
        back = await problem_back(dispatcher, tracker)
        if back is not None:
            return back
        flow = flow_book().flows[intent]
        acknowledge_frustration(dispatcher, tracker)
        quick = await kb_first(dispatcher, tracker, intent)
        if quick is not None:
            return [*leave_csat_question(tracker), *quick]
        prefill = prefilled_answers(tracker, flow)
        dispatcher.utter_message(
            text=f"Let's sort this out ({flow.title}). First a few quick questions, so we try the right things."
            if wording(tracker) == "technical"
            else "Let's fix this together. First, a few quick questions."
        )
        resets = [SlotSet(question_slot(q), prefill.get(q)) for q in flow_book().questions]
        return [
            *leave_csat_question(tracker),
            *resets,
            SlotSet("ts_flow", intent),
            SlotSet("ts_step", 0),
            SlotSet(SHOWN_SLOT, None),
            SlotSet(OPEN_QUESTION, None),
            SlotSet(OUTCOME_SLOT, None),
            SlotSet("pending", None),
            SlotSet("resolved", None),
        ]


class ActionAskStepOutcome(Action):
    """The current step (unless it is already on screen in this wording) and "did that fix it?"."""

    def name(self) -> str:
        return f"action_ask_{OUTCOME_SLOT}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        flow = current_flow(tracker)
        if flow is None:
            return []
        path = path_of(tracker, flow)
        index = min(int(tracker.get_slot("ts_step") or 0), len(path) - 1)
        shown = {"step": index, "wording": wording(tracker)}
        if tracker.get_slot(SHOWN_SLOT) != shown:
            dispatcher.utter_message(text=step_message(path, index, tracker))
        dispatcher.utter_message(text="Did that fix it?", buttons=DID_IT_FIX)
        return [SlotSet(SHOWN_SLOT, shown), asked_again(tracker, outcome_question(tracker))]


class ValidateStepForm(FormValidationAction):
    """The answer to "did that fix it?": yes, no (the next step), or something else."""

    def name(self) -> str:
        return "validate_step_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[str]:
        return [OUTCOME_SLOT] if current_flow(tracker) else []

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        flow = current_flow(tracker)
        if flow is None:
            return [SlotSet("requested_slot", None), FollowupAction("action_listen")]
        if tracker.get_slot("requested_slot") != OUTCOME_SLOT:
            return [SlotSet("requested_slot", OUTCOME_SLOT), SlotSet(OUTCOME_SLOT, None)]
        events = await self.understand(dispatcher, tracker, flow)
        if events is None:
            return []  # left to the rules (a person, frustration, other wording)
        return events

    async def understand(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, flow: Flow
    ) -> list[dict[str, Any]] | None:
        text = latest_text(tracker).strip()
        if angry(tracker):
            return None  # "no, still broken, this is ridiculous": frustration goes to a person
        verdict = {"/affirm": "yes", "/deny": "no"}.get(text)
        if verdict is None and text.startswith("/"):
            return None  # another button (other wording, a person): its intent's rules take it
        kind = None
        if verdict is None:
            if is_correction(text) and restated_problem(text):
                kind = Interruption.CORRECTION  # "no, that's not it: <another problem>"
            elif not is_unknown(text):
                verdict = yes_no(text)
            if kind is None and verdict is None:
                kind = interruption(tracker, flow.intent, questions_are_detours=True)
        if kind in LEFT_TO_RULES:
            return None
        if kind is Interruption.STOP:
            dispatcher.utter_message(text="OK, I've stopped here. If it comes back, just tell me.")
            return [*leave_flow(), SlotSet(SHOWN_SLOT, None), FollowupAction("action_listen")]
        if kind in (Interruption.CORRECTION, Interruption.NEW_PROBLEM):
            restated = restated_problem(text) if kind is Interruption.CORRECTION else text
            lead = CollectingDispatcher()
            taken = await take_up_instead(lead, tracker, restated, exclude=flow.intent) if restated else []
            if taken:
                if kind is Interruption.CORRECTION:
                    dispatcher.utter_message(text="Sorry, I got that wrong.")
                dispatcher.messages.extend(lead.messages)
                return [*leave_flow(), SlotSet(SHOWN_SLOT, None), *taken]
            verdict = "no" if kind is Interruption.CORRECTION else None
        if verdict == "yes":
            return [SlotSet(OUTCOME_SLOT, FIXED), SlotSet("requested_slot", None)]
        if verdict == "no":
            return self.next_step(dispatcher, tracker, flow)
        if kind is Interruption.QUESTION:
            await answer_on_the_side(dispatcher, text)
            return self.ask_again(dispatcher, tracker, flow, None)
        if is_unknown(text):
            return self.ask_again(dispatcher, tracker, flow, "No rush: try the step, then tell me whether it fixed it.")
        missed = not_understood(
            OUTCOME_SLOT,
            "Did that fix it?",
            {"yes": DID_IT_FIX[0]["title"], "no": DID_IT_FIX[1]["title"]},
            text,
            flow.intent,
        )
        return [
            missed,
            *self.ask_again(dispatcher, tracker, flow, "Sorry, I didn't get that. Did the step fix the problem?"),
        ]

    def ask_again(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, flow: Flow, lead: str | None
    ) -> list[dict[str, Any]]:
        if times_asked(tracker, outcome_question(tracker)) >= MAX_ASKS:
            # Asked twice with no clear yes: never assume a fix, go on with the next step.
            return self.next_step(dispatcher, tracker, flow)
        if lead:
            dispatcher.utter_message(text=lead)
        return [SlotSet(OUTCOME_SLOT, None), SlotSet("requested_slot", OUTCOME_SLOT)]

    @staticmethod
    def next_step(dispatcher: CollectingDispatcher, tracker: Tracker, flow: Flow) -> list[dict[str, Any]]:
        path = path_of(tracker, flow)
        index = int(tracker.get_slot("ts_step") or 0)
        tried = record(tracker, flow, path[min(index, len(path) - 1)], "did not fix it")
        if index + 1 >= len(path):
            return [SlotSet("ts_steps_tried", tried), SlotSet(OUTCOME_SLOT, EXHAUSTED), SlotSet("requested_slot", None)]
        dispatcher.utter_message(text="OK, let's try the next thing.")
        return [
            SlotSet("ts_steps_tried", tried),
            SlotSet("ts_step", index + 1),
            SlotSet(OUTCOME_SLOT, None),
            SlotSet("requested_slot", OUTCOME_SLOT),
            SlotSet("resolved", False),
        ]


def problem_text(tracker: Tracker, flow: Flow) -> str:
    """The customer's own description of the problem this flow is about."""
    said = [
        e.get("text") or ""
        for e in tracker.events
        if e.get("event") == "user" and ((e.get("parse_data") or {}).get("intent") or {}).get("name") == flow.intent
    ]
    return said[-1] if said else flow.title


async def article_beyond_the_script(tracker: Tracker, flow: Flow) -> Hit | None:
    """After the last scripted step: the help article for this problem (the flow's own article if
    the index ranks it among the good hits), unless the customer has already seen it."""
    searcher = get_searcher()
    try:
        hits = await asyncio.to_thread(searcher.search, f"{flow.title}. {problem_text(tracker, flow)}", 5)
    except IndexNotBuiltError:
        return None
    good = [h for h in hits if h.answers]
    # The flow's own article is on topic by construction: close enough is enough for it.
    own = next((h for h in hits if h.article_id == flow.kb_article and (h.answers or h.related)), None)
    hit = own or (good[0] if good else None)
    return hit if hit and hit.article_id not in (tracker.get_slot("kb_articles_shown") or []) else None


async def give_up(
    dispatcher: CollectingDispatcher, tracker: Tracker, flow: Flow, tried: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Out of scripted steps: one help article if there is a good one ("did this help?" decides
    the rest, see kb.py), otherwise a person with every step tried."""
    hit = await article_beyond_the_script(tracker, flow)
    # The flow stays named so that a ticket made after the article still carries the diagnosis.
    events = [SlotSet("ts_steps_tried", tried), SlotSet("pending", None), SlotSet("resolved", False)]
    if hit is not None:
        lead = "Those were all the steps I have. Our help article may cover something we haven't tried:"
        return [*events, SlotSet("kb_next", []), *answer_with(dispatcher, tracker, hit, lead)]
    dispatcher.utter_message(
        text="I'm sorry, those were all the steps I have for this. I'm passing it to a person "
        "with everything we tried, so nobody will ask you to repeat them."
    )
    events = [SlotSet("ts_steps_tried", tried), *finished(resolved=False)]
    return [*events, *await hand_over(dispatcher, tracker, reason="repeated_failure", ts_steps=tried)]


async def problem_back(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]] | None:
    """Right after a step fixed it, the customer says the problem is back ("it just dropped
    again", or the same problem named once more): the flow goes on at the next step, or, with
    none left, to what comes after the last one. None when that is not what happened."""
    fixed = fixed_just_now(tracker)
    if fixed is None or fixed[0] not in flow_book().flows:
        return None
    name, index = fixed
    if latest_intent(tracker) != name and not problem_persists(latest_text(tracker)):
        return None  # "no thanks" to the rating question is not the problem back
    flow = flow_book().flows[name]
    path = path_of(tracker, flow)
    index = min(index, len(path) - 1)
    tried = record(tracker, flow, path[index], "fixed it at first, then the problem came back")
    back = [*leave_csat_question(tracker), SlotSet("ts_flow", name), SlotSet(OPEN_QUESTION, None)]
    if index + 1 >= len(path):
        return [*back, *await give_up(dispatcher, tracker, flow, tried)]
    dispatcher.utter_message(text="Sorry it's back. Let's try the next thing.")
    return [
        *back,
        SlotSet("ts_steps_tried", tried),
        SlotSet("ts_step", index + 1),
        SlotSet(SHOWN_SLOT, None),
        SlotSet(OUTCOME_SLOT, None),
        SlotSet("pending", None),
        SlotSet("resolved", False),
        SlotSet("requested_slot", None),
        FollowupAction("step_form"),
    ]


class ActionStepOutcome(Action):
    """After step_form: the step that fixed it, or, with every step tried, what comes next."""

    def name(self) -> str:
        return "action_step_outcome"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        flow = current_flow(tracker)
        outcome = tracker.get_slot(OUTCOME_SLOT)
        if flow is None or outcome not in (FIXED, EXHAUSTED):
            return [SlotSet(OUTCOME_SLOT, None)]
        tried = tracker.get_slot("ts_steps_tried") or []
        if outcome == EXHAUSTED:
            return [SlotSet(OUTCOME_SLOT, None), *await give_up(dispatcher, tracker, flow, tried)]
        path = path_of(tracker, flow)
        index = min(int(tracker.get_slot("ts_step") or 0), len(path) - 1)
        dispatcher.utter_message(text="Great, glad that fixed it!")
        return [
            SlotSet("ts_steps_tried", record(tracker, flow, path[index], "fixed it")),
            SlotSet(OUTCOME_SLOT, None),
            *finished(resolved=True),
        ]
