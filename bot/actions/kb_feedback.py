"""Did the article help? (kb_feedback_form after every article.) Yes resolves the contact; no offers
the next-best article once, or what the question was about (a flow, an account task), then a
person with what was tried. A new question instead of an answer is taken up as a question."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.asking import MAX_ASKS, OPEN_QUESTION, asked_again, confirm, not_understood, times_asked, unchanged
from bot.actions.detours import problem_sentence, read_on_its_own, route_again, routed, routing_intent
from bot.actions.dialogue import PERSON_OR_NOT, latest_intent, latest_text, now_iso
from bot.actions.flow_content import flow_book
from bot.actions.handoff import hand_over, not_understood_before
from bot.actions.interruptions import Interruption, interruption
from bot.actions.kb import DID_IT_HELP, NO_THEN, THEN_SLOT, answer_with, follow_up_article, show_answer
from bot.actions.triage import ask_problem_area
from bot.actions.understanding.signals import is_unknown, wants_information
from bot.actions.understanding.yes_no import yes_no
from bot.nlu.vague_opener_cues import is_vague_problem
from kb_index.search import Hit

HELPED_SLOT = "kb_helped"  # "yes" / "no" once the customer answered "Did this help?"
LEFT_TO_RULES = (Interruption.PERSON, Interruption.FRUSTRATED, Interruption.OTHER_WORDING)


class ActionAskKbHelped(Action):
    def name(self) -> str:
        return f"action_ask_{HELPED_SLOT}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(text="Did this help?", buttons=tracker.get_slot("kb_buttons") or DID_IT_HELP)
        return [asked_again(tracker, HELPED_SLOT)]


class ValidateKbFeedbackForm(FormValidationAction):
    def name(self) -> str:
        return "validate_kb_feedback_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[str]:
        return [HELPED_SLOT] if tracker.get_slot("kb_current") else []

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if not tracker.get_slot("kb_current"):
            return [SlotSet("requested_slot", None), FollowupAction("action_listen")]
        if tracker.get_slot("requested_slot") != HELPED_SLOT:
            return [SlotSet("requested_slot", HELPED_SLOT), SlotSet(HELPED_SLOT, None)]
        text = latest_text(tracker).strip()
        verdict = {"/affirm": "yes", "/deny": "no"}.get(text)
        if verdict is None and text.startswith("/"):
            return []  # another button (a person, other wording): the rules take it
        if verdict is None and not is_unknown(text):
            verdict = yes_no(text)
        if verdict:
            return [SlotSet(HELPED_SLOT, verdict), SlotSet("requested_slot", None)]
        kind = interruption(tracker)
        if kind in LEFT_TO_RULES:
            return []
        if kind is Interruption.STOP:
            dispatcher.utter_message(text="OK. Anything else I can help with?")
            return [SlotSet("kb_current", None), SlotSet("requested_slot", None), FollowupAction("action_listen")]
        if kind is Interruption.QUESTION or (kind is Interruption.NEW_PROBLEM and wants_information(text)):
            answered = await answer_follow_up(dispatcher, tracker, text)
            if answered:
                return answered
        if kind in (Interruption.QUESTION, Interruption.NEW_PROBLEM, Interruption.CORRECTION) or latest_intent(
            tracker
        ) in ("ask_howto",):
            # Something new instead of an answer: that is what the customer wants now.
            routed = await route_again(tracker, text)
            if routed:
                return [SlotSet("kb_current", None), SlotSet("requested_slot", None), *routed]
        buttons = tracker.get_slot("kb_buttons") or DID_IT_HELP
        missed = not_understood(
            HELPED_SLOT,
            "Did this help?",
            {"yes": buttons[0]["title"], "no": buttons[-1]["title"]},
            text,
            answer_slot=HELPED_SLOT,
        )
        if times_asked(tracker, HELPED_SLOT) >= MAX_ASKS:
            # Asked twice with no clear yes: a success is never assumed.
            return [missed, SlotSet(HELPED_SLOT, "no"), SlotSet("requested_slot", None)]
        dispatcher.utter_message(text="Sorry, I didn't get that. Did the article answer your question?")
        return [missed, unchanged(tracker), SlotSet("requested_slot", HELPED_SLOT)]


async def answer_follow_up(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> list[dict[str, Any]]:
    """A question instead of a yes or no is a follow-up: answered from the article shown (or
    another that answers it), then "Did this help?" about that answer. [] when no article answers
    it: the question is then routed as a new message."""
    hit = await follow_up_article(text, tracker.get_slot("kb_current") or {})
    if hit is None:
        return []
    shown = show_answer(dispatcher, tracker, hit, "From our help article")
    # The form goes on and asks about this answer, as a question of its own.
    return [*shown, SlotSet(OPEN_QUESTION, None), SlotSet("requested_slot", HELPED_SLOT)]


def nothing_tried_but_articles(tracker: Tracker) -> bool:
    """No troubleshooting step tried and no flow under way."""
    return not (tracker.get_slot("ts_steps_tried") or tracker.get_slot("ts_flow"))


def nothing_tried_yet(tracker: Tracker) -> bool:
    """Not even an article shown: the conversation has not started."""
    return nothing_tried_but_articles(tracker) and not tracker.get_slot("kb_articles_shown")


def answered_question(tracker: Tracker) -> str | None:
    """What the customer typed that the article answered: their last message before this "no"
    that was no yes or no itself (after a second article, the "no" to the first one)."""
    said = [e.get("text") or "" for e in tracker.events if e.get("event") == "user"][:-1]
    typed = [text for text in said if text.strip() and not text.startswith("/") and yes_no(text) is None]
    return typed[-1] if typed else None


async def what_the_question_was_about(tracker: Tracker) -> list[dict[str, Any]]:
    """Events that start the troubleshooting flow or the account task the answered message names
    (routed as any problem is, among those intents only; in a long message, by the sentence that
    names it); [] when it names none."""
    question = answered_question(tracker)
    if not question:
        return []
    reading = await read_on_its_own(tracker, question)
    doable = set(flow_book().flows) | set(NO_THEN)
    chosen = routing_intent([c for c in reading.get("intent_ranking") or [] if c.get("name") in doable], None)
    if chosen is None:
        found = await problem_sentence(question)
        if found and found["name"] in doable:
            chosen = {"name": found["name"], "confidence": found["confidence"]}
    return routed(tracker, question, chosen, reading.get("entities") or [], after_article=True) if chosen else []


class ActionKBFeedback(Action):
    """After "Did this help?" (or a yes/no with nothing open)."""

    def name(self) -> str:
        return "action_kb_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        current = tracker.get_slot("kb_current")
        said = tracker.get_slot(HELPED_SLOT) or ("yes" if latest_intent(tracker) == "affirm" else "no")
        if not current:
            # A yes/no with nothing open: nothing to rate, nothing to escalate yet.
            if said == "no" and nothing_tried_yet(tracker) and is_vague_problem(latest_text(tracker)):
                # "it's not working" as an opener: the question ends the turn.
                return [*await ask_problem_area(dispatcher, tracker), FollowupAction("action_listen")]
            if not_understood_before(tracker):
                # ...unless it answers "did you mean...?" with neither: a second miss in a row.
                dispatcher.utter_message(
                    text="Sorry, I'm still not sure I understand. Let me get a person to help you."
                )
                return [SlotSet(HELPED_SLOT, None), *await hand_over(dispatcher, tracker, reason="low_confidence")]
            if said == "yes":
                dispatcher.utter_message(text="Great! Anything else I can help with?")
                return [SlotSet("resolved", False), SlotSet(HELPED_SLOT, None)]
            question = (
                "Sorry that didn't solve it. Would you like me to pass this to a person? "
                "They'll see everything we've covered."
            )
            return [
                SlotSet("resolved", False),
                SlotSet(HELPED_SLOT, None),
                *confirm("offer_person", question, PERSON_OR_NOT),
            ]
        helped = said == "yes"
        feedback = [
            *(tracker.get_slot("kb_feedback") or []),
            {**current, "outcome": "helped" if helped else "did not help", "at": now_iso()},
        ]
        then = tracker.get_slot(THEN_SLOT)
        events: list[dict[str, Any]] = [
            SlotSet("kb_feedback", feedback),
            SlotSet("kb_current", None),
            SlotSet(HELPED_SLOT, None),
            SlotSet(THEN_SLOT, None),
        ]
        if helped:
            dispatcher.utter_message(text="Great, glad that helped!")
            return [*events, SlotSet("resolved", True), SlotSet("ts_flow", None), SlotSet("ts_step", None)]
        events.append(SlotSet("resolved", False))
        if then:
            # The article was the quick answer to a question about a problem or a task: now do that.
            routed = await route_again(tracker, then["text"], intent=then["intent"], after_article=True)
            return [*events, *routed]
        instead = await what_the_question_was_about(tracker) if nothing_tried_but_articles(tracker) else []
        if instead:
            # The article did not fix a problem a flow covers, or do the task asked about: that, not a person yet.
            intents = [e["parse_data"]["intent"]["name"] for e in instead if e.get("event") == "user"]
            if set(intents) & set(flow_book().flows):
                dispatcher.utter_message(text="Sorry about that. Let's work through it step by step instead.")
            return [*events, *instead]
        nxt = tracker.get_slot("kb_next") or []
        if nxt:
            # The next-best article, once; after that a person takes over.
            hit = Hit(**nxt[0])
            return [
                *events,
                SlotSet("kb_next", []),
                *answer_with(dispatcher, tracker, hit, "Sorry about that. This article may fit better:"),
            ]
        dispatcher.utter_message(text="Sorry that didn't solve it. I'll get a person to help.")
        # After troubleshooting steps the article was the last resort: the steps failed, not the KB.
        reason = (
            "repeated_failure" if tracker.get_slot("ts_steps_tried") and tracker.get_slot("ts_flow") else "no_kb_answer"
        )
        # The slot events apply after this action, so the ticket gets this answer directly.
        events += [SlotSet("ts_flow", None), SlotSet("ts_step", None)]
        return [*events, *await hand_over(dispatcher, tracker, reason=reason, kb_feedback=feedback)]
