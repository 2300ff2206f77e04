"""Question or problem? A how-to question that names a problem ("how do I add my printer by its IP
address?", "how long does a lockout last?") is answered from the KB first; "No" then starts the
troubleshooting flow or the account task the question is about. Problems ("my printer is offline")
and requests ("please reset my password") go straight to the flow or task. A problem reported
without saying what it is ("nimbus is acting up") gets one open question with the main areas."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.asking import confirm
from bot.actions.detours import article_declined, route_by_problem_sentence
from bot.actions.dialogue import PERSON_OR_NOT, TALK_TO_PERSON, latest_text, leave_csat_question
from bot.actions.done_already import SIGN_IN_TASKS, answer_retracted, not_worked_yet
from bot.actions.empathy import acknowledge_frustration
from bot.actions.handoff import hand_over
from bot.actions.kb import (
    NO_ARTICLE,
    NO_THEN,
    REPHRASE,
    REPHRASE_OR_PERSON,
    THEN_SLOT,
    answer_with,
    get_searcher,
    kb_miss,
    strong_article,
    strong_articles,
)
from bot.actions.understanding.signals import question_core, wants_information
from bot.nlu.vague_opener_cues import is_vague_problem
from kb_index.search import IndexNotBuiltError

log = logging.getLogger(__name__)

TROUBLESHOOT_INSTEAD = "No, let's troubleshoot it"
RUNNER_UP_MARGIN = 0.05


# Intents whose self-help article comes first even for a statement ("the sign-in code never
# arrives"): what a person would do for them (a 2FA reset) is the slow way.
ARTICLE_FIRST = frozenset({"two_factor_problem"})


async def kb_first(dispatcher: CollectingDispatcher, tracker: Tracker, intent: str) -> list[dict[str, Any]] | None:
    """The KB-first answer to a how-to question about `intent` (events that end the turn), or None
    when the message is a problem or request, was routed here by a "No" already, or no article
    answers it well."""
    text = latest_text(tracker)
    if article_declined(tracker) or text.startswith("/"):
        return None
    if intent not in ARTICLE_FIRST and not wants_information(text):
        return None
    hits = await strong_articles(text)
    if not hits:
        return None
    hit, runner_up = hits[0], hits[1:2]
    buttons = [
        {"title": "Yes, that helped", "payload": "/affirm"},
        {"title": NO_THEN.get(intent, TROUBLESHOOT_INSTEAD), "payload": "/deny"},
    ]
    events = answer_with(dispatcher, tracker, hit, "From our help article", buttons=buttons, doubted=not hit.answers)
    return [
        *events,
        # A second article as good as the first is offered before the flow or task.
        SlotSet("kb_next", [h.as_dict() for h in runner_up if hit.score - h.score <= RUNNER_UP_MARGIN]),
        SlotSet(THEN_SLOT, {"intent": intent, "text": text}),
        SlotSet("resolved", None),
    ]


class ActionOutOfScope(Action):
    """Outside what the bot does, unless an article answers it well: the classifier's out-of-scope
    class also catches some plain how-to questions ("which of my two Wi-Fi networks is better?")."""

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = latest_text(tracker)
        hit = None if text.startswith("/") else await strong_article(text)
        if hit is None or not hit.answers:  # outside what we do: only an article that answers it
            instead = await route_by_problem_sentence(tracker)
            if instead:
                return instead  # a long message whose problem the whole did not weigh enough
            dispatcher.utter_message(response="utter_out_of_scope")
            return []
        events = answer_with(dispatcher, tracker, hit, "This help article may answer it", question=text)
        return [*events, SlotSet("kb_next", [])]


# The main areas, for a problem reported without saying what it is: each starts its flow or menu.
AREAS = [
    {"title": "Signing in", "payload": "/login_trouble"},
    {"title": "Wi-Fi or internet", "payload": "/no_internet"},
    {"title": "The app crashes or won't open", "payload": "/app_crash"},
    {"title": "Installing or updating", "payload": "/install_update"},
    {"title": "Email or calendar sync", "payload": "/email_sync"},
    {"title": "A slow computer or phone", "payload": "/slow_device"},
    {"title": "Printing", "payload": "/printer_issue"},
    TALK_TO_PERSON,
]
ASK_AREA = "Sorry to hear that. What's giving you trouble? Tap an area, or tell me in a few words what happens."
ASK_AREA_AGAIN = (
    "I'd like to help, but I can't tell yet what's wrong. What happens when you try, or what were you "
    "trying to do? You can also tap an area."
)


def vague_in_a_row(tracker: Tracker) -> int:
    """How many of the customer's latest messages, in a row, named no problem."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        if not is_vague_problem(event.get("text") or ""):
            break
        count += 1
    return count


async def ask_problem_area(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """The open question with the areas as buttons; never a third time in a row (a person then)."""
    asked = vague_in_a_row(tracker)
    if asked >= 3:
        dispatcher.utter_message(text="Sorry, I still can't tell what's wrong. Let me get a person to help you.")
        return await hand_over(dispatcher, tracker, reason="low_confidence")
    acknowledge_frustration(dispatcher, tracker)
    dispatcher.utter_message(text=ASK_AREA if asked <= 1 else ASK_AREA_AGAIN, buttons=AREAS)
    return [SlotSet("resolved", None)]


class ActionAskProblemArea(Action):
    def name(self) -> str:
        return "action_ask_problem_area"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return await route_by_problem_sentence(tracker) or await ask_problem_area(dispatcher, tracker)


SAY_HOW_SIGN_IN_FAILS = (
    "Tell me in a few words what you see when you try: an error message, a page that keeps coming "
    "back, a code that never arrives..."
)
NO_SIGN_IN_ARTICLE = "I can't tell from that which sign-in problem it is. Would you like a person to look at it?"


def previous_action(tracker: Tracker) -> str | None:
    """The bot's last action before the customer's latest message (action_listen aside)."""
    user_seen = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            user_seen = True
        elif user_seen and event.get("event") == "action" and event.get("name") != "action_listen":
            return event.get("name")
    return None


class ActionClarifyLogin(Action):
    """ "I can't log in": which of the sign-in problems the bot can fix (forgot password, locked,
    no 2FA code), or something else. Said again in other words after the menu, the options did not
    fit: what the customer said is looked up in the KB, and without an article a person is offered,
    never the same menu a second time."""

    def name(self) -> str:
        return "action_clarify_login"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = latest_text(tracker)
        again = not_worked_yet(dispatcher, tracker, SIGN_IN_TASKS)
        if again is not None:
            return again
        if previous_action(tracker) != self.name():
            dispatcher.utter_message(response="utter_login_clarify")
            return leave_csat_question(tracker)
        if text.startswith("/"):  # "Something else"
            dispatcher.utter_message(text=SAY_HOW_SIGN_IN_FAILS)
            return []
        hit = await strong_article(text)
        if hit is not None:
            return answer_with(
                dispatcher, tracker, hit, "From our help article", doubted=not hit.answers, question=text
            )
        return confirm("offer_person", NO_SIGN_IN_ARTICLE, PERSON_OR_NOT)


class ActionAnswerFromKB(Action):
    def name(self) -> str:
        return "action_answer_from_kb"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        question = (tracker.latest_message or {}).get("text") or ""
        retracted = answer_retracted(tracker)
        if retracted is not None:
            return retracted  # "actually it didn't help": a "no" to that article, not a new search
        leave = leave_csat_question(tracker)
        searcher = get_searcher()
        try:
            hits = await asyncio.to_thread(searcher.search, question_core(question), 3)
        except IndexNotBuiltError:
            log.error("KB index missing: answering without it")
            dispatcher.utter_message(
                text="I can't search our help articles right now. I can pass your question to a person.",
                buttons=[TALK_TO_PERSON],
            )
            return [*leave, SlotSet("handoff_reason", "no_kb_answer")]
        good = [h for h in hits if h.answers]
        if not good and not (hits and hits[0].related and wants_information(question)):
            # A long message may name its problem in one sentence that the whole did not weigh enough
            # (a question asked, though, gets its nearest article first).
            instead = await route_by_problem_sentence(tracker)
            if instead:
                return [*leave, *instead]
        if not good and hits and hits[0].related:
            # Not sure: the nearest article, said as such; the miss still reaches the review inbox.
            events = answer_with(dispatcher, tracker, hits[0], "", doubted=True)
            runner_up = [h.as_dict() for h in hits[1:2] if h.answers or h.related]
            return [*leave, *events, kb_miss(hits, searcher.settings.min_score), SlotSet("kb_next", runner_up)]
        if not good:
            # Nothing close: we do not guess.
            return [
                *leave,
                SlotSet("handoff_reason", "no_kb_answer"),
                SlotSet("kb_current", None),
                kb_miss(hits, searcher.settings.min_score),
                *confirm("offer_person", NO_ARTICLE, REPHRASE_OR_PERSON, if_no=REPHRASE),
            ]
        events = answer_with(dispatcher, tracker, good[0], "From our help article", question=question)
        return [*leave, *events, SlotSet("kb_next", [h.as_dict() for h in good[1:2]])]
