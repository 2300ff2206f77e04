"""Structured troubleshooting: a short diagnosis (diagnosis_form), then one step at a time, each
followed by "did that fix it?"; the answers choose the path; after the last step a person takes over.

The questions and steps are data (bot/flows/, see bot/actions/flows.py). Diagnosis answers live in
`q_<question>` slots, the flow in `ts_flow`, the position in `ts_step`, the history in `ts_steps_tried`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.dialogue import INTERRUPTIONS, latest_intent, latest_text, leave_csat_question, now_iso, wording
from bot.actions.flows import UNKNOWN, Flow, Question, Step, flow_book
from bot.actions.handoff import hand_over
from bot.actions.kb import answer_with, get_searcher
from kb_index.search import Hit, IndexNotBuiltError

SLOT_PREFIX = "q_"
DID_IT_FIX = [
    {"title": "Yes, that fixed it", "payload": "/affirm"},
    {"title": "No, still not working", "payload": "/deny"},
]
# Entity slots the NLU may already have filled from the first message: they answer questions.
PREFILL_FROM_ENTITIES = {"device": "device", "os": "os", "app_platform": "app_platform", "browser": "browser"}
DEVICE_WORDS = {
    "computer": ("laptop", "notebook", "pc", "desktop", "computer", "mac", "macbook", "imac", "chromebook"),
    "phone": ("phone", "iphone", "android", "mobile", "smartphone", "pixel", "galaxy"),
    "tablet": ("tablet", "ipad"),
}
MAX_FREE_TEXT = 300


def question_slot(name: str) -> str:
    return f"{SLOT_PREFIX}{name}"


def answers(tracker: Tracker, flow: Flow) -> dict[str, str]:
    return {q: tracker.get_slot(question_slot(q)) for q in flow.questions if tracker.get_slot(question_slot(q))}


def current_flow(tracker: Tracker) -> Flow | None:
    return flow_book().flows.get(tracker.get_slot("ts_flow") or "")


def interpret(name: str, question: Question, text: str) -> str | None:
    """An answer as the option value it means, free text where allowed, or None (ask again)."""
    value = question.match(text)
    if value is None and name == "device":
        said = text.lower()
        value = next((v for v, words in DEVICE_WORDS.items() if any(w in said for w in words)), None)
    if value is None and question.free_text and text.strip():
        value = text.strip()[:MAX_FREE_TEXT]
    return value


def prefilled_answers(tracker: Tracker, flow: Flow) -> dict[str, str]:
    bank = flow_book().questions
    found: dict[str, str] = {}
    for slot, name in PREFILL_FROM_ENTITIES.items():
        value = tracker.get_slot(slot)
        if value and name in flow.questions:
            option = interpret(name, bank[name], str(value))
            if option and option in bank[name].options:
                found[name] = option
    error = tracker.get_slot("error_code")
    if error:
        for name in ("error_code", "error"):
            if name in flow.questions:
                found[name] = bank[name].match(str(error)) or str(error)
    return found


def step_message(flow: Flow, path: list[Step], index: int, tracker: Tracker) -> str:
    step = path[index]
    return f"**Step {index + 1} of {len(path)}: {step.title}**\n{step.text(wording(tracker))}"


def record(tracker: Tracker, flow: Flow, step: Step, outcome: str) -> list[dict[str, Any]]:
    return [
        *(tracker.get_slot("ts_steps_tried") or []),
        {"flow": flow.intent, "step_id": step.id, "title": step.title, "outcome": outcome, "at": now_iso()},
    ]


def show_step(dispatcher: CollectingDispatcher, tracker: Tracker, flow: Flow, index: int) -> list[dict[str, Any]]:
    path = flow.path(answers(tracker, flow), flow_book().questions)
    dispatcher.utter_message(text=step_message(flow, path, index, tracker))
    dispatcher.utter_message(text="Did that fix it?", buttons=DID_IT_FIX)
    return [SlotSet("ts_step", index), SlotSet("pending", "step_outcome")]


def finished(resolved: bool) -> list[dict[str, Any]]:
    return [SlotSet("ts_flow", None), SlotSet("ts_step", None), SlotSet("pending", None), SlotSet("resolved", resolved)]


class ActionStartTroubleshooting(Action):
    """A troubleshooting intent: start its flow, or, if that flow is already under way, take the
    repeated complaint ("still dropping!") as "the current step did not fix it"."""

    def name(self) -> str:
        return "action_start_troubleshooting"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = latest_intent(tracker)
        flow = flow_book().flows[intent]
        events = leave_csat_question(tracker)
        step = tracker.get_slot("ts_step")
        if tracker.get_slot("ts_flow") == intent:
            if step is None:
                return events  # still in the diagnosis: the form simply goes on
            path = flow.path(answers(tracker, flow), flow_book().questions)
            index = int(step)
            return [
                *events,
                SlotSet("ts_steps_tried", record(tracker, flow, path[index], "did not fix it")),
                SlotSet("ts_step", index + 1),
                SlotSet("pending", None),
            ]
        prefill = prefilled_answers(tracker, flow)
        dispatcher.utter_message(
            text=f"Let's sort this out ({flow.title}). First a few quick questions, so we try the right things."
            if wording(tracker) == "technical"
            else "Let's fix this together. First, a few quick questions."
        )
        resets = [SlotSet(question_slot(q), prefill.get(q)) for q in flow_book().questions]
        return [
            *events,
            *resets,
            SlotSet("ts_flow", intent),
            SlotSet("ts_step", None),
            SlotSet("pending", None),
            SlotSet("resolved", None),
        ]


class ValidateDiagnosisForm(FormValidationAction):
    """The questions of the current flow, asked in order; typed answers are matched to options."""

    def name(self) -> str:
        return "validate_diagnosis_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[str]:
        flow = current_flow(tracker)
        return [question_slot(q) for q in flow.questions] if flow else []

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        requested = tracker.get_slot("requested_slot") or ""
        text = latest_text(tracker).strip()
        if not requested.startswith(SLOT_PREFIX) or not text:
            return []
        question = flow_book().questions[requested[len(SLOT_PREFIX) :]]
        tapped = text in question.options.values()
        # A tapped option is an answer whatever the NLU thinks of it ("Only this device" once scored
        # as a complaint); otherwise "talk to a person" and the like are left to the rules.
        if not tapped and latest_intent(tracker) in INTERRUPTIONS:
            return []
        return [SlotSet(requested, text)]

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        bank = flow_book().questions
        events = []
        for slot, value in tracker.slots_to_validate().items():
            if not slot.startswith(SLOT_PREFIX) or value is None:
                continue
            name = slot[len(SLOT_PREFIX) :]
            question = bank[name]
            answer = value if value in question.options else interpret(name, question, str(value))
            misses = int(tracker.get_slot("ts_misses") or 0)
            if answer is None and misses == 0:
                dispatcher.utter_message(
                    text="Sorry, I didn't catch that. Tap one of the options, or say it another way."
                )
                events += [SlotSet(slot, None), SlotSet("ts_misses", 1)]
                continue
            # Asked twice: move on rather than loop; an unknown answer simply takes no branch.
            events += [SlotSet(slot, answer or UNKNOWN), SlotSet("ts_misses", 0)]
        return events


def make_ask_action(name: str) -> type[Action]:
    """`action_ask_q_<name>`: the question in the customer's wording, with its options as buttons."""

    class AskQuestion(Action):
        def name(self) -> str:
            return f"action_ask_{question_slot(name)}"

        async def run(
            self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
        ) -> list[dict[str, Any]]:
            question = flow_book().questions[name]
            buttons = [{"title": title, "payload": title} for title in question.options.values()]
            dispatcher.utter_message(text=question.text(wording(tracker)), buttons=buttons)
            return []

    AskQuestion.__name__ = f"ActionAskQ{''.join(p.title() for p in name.split('_'))}"
    return AskQuestion


ASK_ACTIONS = [make_ask_action(name) for name in flow_book().questions]


class ActionTroubleshootStep(Action):
    """Present the current step (the first one right after the diagnosis)."""

    def name(self) -> str:
        return "action_troubleshoot_step"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        flow = current_flow(tracker)
        if flow is None:
            return []
        index = int(tracker.get_slot("ts_step") or 0)
        if index >= len(flow.path(answers(tracker, flow), flow_book().questions)):
            return await give_up(dispatcher, tracker, flow, tracker.get_slot("ts_steps_tried") or [])
        return show_step(dispatcher, tracker, flow, index)


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
    good = [h for h in hits if h.score >= searcher.settings.min_score]
    hit = next((h for h in good if h.article_id == flow.kb_article), good[0] if good else None)
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


class ActionStepOutcome(Action):
    """The customer's answer to "did that fix it?"."""

    def name(self) -> str:
        return "action_step_outcome"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        flow = current_flow(tracker)
        if flow is None or tracker.get_slot("ts_step") is None:
            return [SlotSet("pending", None), SlotSet("resolved", False)]
        path = flow.path(answers(tracker, flow), flow_book().questions)
        index = int(tracker.get_slot("ts_step"))
        if latest_intent(tracker) == "affirm":
            dispatcher.utter_message(text="Great, glad that fixed it!")
            tried = record(tracker, flow, path[index], "fixed it")
            return [SlotSet("ts_steps_tried", tried), *finished(resolved=True)]
        tried = record(tracker, flow, path[index], "did not fix it")
        if index + 1 >= len(path):
            return await give_up(dispatcher, tracker, flow, tried)
        dispatcher.utter_message(text="OK, let's try the next thing.")
        return [
            SlotSet("ts_steps_tried", tried),
            *show_step(dispatcher, tracker, flow, index + 1),
            SlotSet("resolved", False),
        ]
