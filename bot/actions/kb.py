"""Answer questions from the knowledge base: quote the passage briefly, cite the article, ask
whether it helped; offer the next-best article once, then hand over with what was tried."""

from __future__ import annotations

import asyncio
import logging
import re
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.dialogue import TALK_TO_PERSON, leave_csat_question, now_iso
from bot.actions.handoff import hand_over
from bot.actions.settings import get_settings
from bot.actions.widget_payloads import widget_payload
from kb_index.search import Hit, IndexNotBuiltError, KBSearcher
from kb_index.settings import KBSettings

log = logging.getLogger(__name__)

DID_IT_HELP = [{"title": "Yes, that helped", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
QUOTE_CHARS = 420  # a brief quote; the link has the rest
SENTENCE_END = re.compile(r"(?<=[.!?])\s")


@lru_cache(maxsize=1)
def get_searcher() -> KBSearcher:
    # Created on first use (or by the server's warm-up), never at import time.
    return KBSearcher(KBSettings())


def brief(passage: str, limit: int = QUOTE_CHARS) -> str:
    """The passage cut at a sentence end before `limit` characters."""
    if len(passage) <= limit:
        return passage
    cut = [m.start() for m in SENTENCE_END.finditer(passage) if m.start() <= limit]
    return passage[: cut[-1]] if cut else passage[:limit].rsplit(" ", 1)[0] + "…"


def answer_with(dispatcher: CollectingDispatcher, tracker: Tracker, hit: Hit, lead: str) -> list[dict[str, Any]]:
    link = urljoin(get_settings().help_site_url, hit.url)
    dispatcher.utter_message(text=f"{lead} **{hit.title}**:\n{brief(hit.passage)}\nFull article: [{hit.title}]({link})")
    # For the widget's citation card; channels without custom payloads have the link in the text.
    citation = {"article_id": hit.article_id, "title": hit.title, "url": link}
    dispatcher.utter_message(json_message=widget_payload(citation=citation))
    dispatcher.utter_message(text="Did this help?", buttons=DID_IT_HELP)
    shown = list(tracker.get_slot("kb_articles_shown") or [])
    if hit.article_id not in shown:
        shown.append(hit.article_id)
    return [
        SlotSet("kb_articles_shown", shown),
        SlotSet("kb_current", {"article_id": hit.article_id, "title": hit.title}),
    ]


def kb_miss(hits: list[Hit], min_score: float) -> dict[str, Any]:
    """The marker of a question no article answered well enough, for the review inbox (insights/):
    the nearest article and its score tell a writer how far off the KB was."""
    nearest = max(hits, key=lambda h: h.score, default=None)
    miss = {
        "nearest": nearest.article_id if nearest else None,
        "best_score": round(nearest.score, 4) if nearest else None,
        "min_score": min_score,
    }
    return SlotSet("kb_miss", miss)


class ActionAnswerFromKB(Action):
    def name(self) -> str:
        return "action_answer_from_kb"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        question = (tracker.latest_message or {}).get("text") or ""
        leave = leave_csat_question(tracker)
        searcher = get_searcher()
        try:
            hits = await asyncio.to_thread(searcher.search, question, 3)
        except IndexNotBuiltError:
            log.error("KB index missing: answering without it")
            dispatcher.utter_message(
                text="I can't search our help articles right now. I can pass your question to a person.",
                buttons=[TALK_TO_PERSON],
            )
            return [*leave, SlotSet("handoff_reason", "no_kb_answer")]
        good = [h for h in hits if h.score >= searcher.settings.min_score]
        if not good:
            # Below the threshold we do not guess.
            dispatcher.utter_message(
                text="I don't have a help article for that. Would you like a person to take a look?",
                buttons=[TALK_TO_PERSON],
            )
            return [
                *leave,
                SlotSet("handoff_reason", "no_kb_answer"),
                SlotSet("kb_current", None),
                kb_miss(hits, searcher.settings.min_score),
            ]
        events = answer_with(dispatcher, tracker, good[0], "From our help article")
        return [*leave, *events, SlotSet("kb_next", [h.as_dict() for h in good[1:2]])]


class ActionKBFeedback(Action):
    """The customer's yes/no after an article (or any yes/no outside a flow)."""

    def name(self) -> str:
        return "action_kb_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        current = tracker.get_slot("kb_current")
        if not current:
            # A yes/no with nothing open: nothing to rate, nothing to escalate yet.
            if intent == "affirm":
                dispatcher.utter_message(text="Great! Anything else I can help with?")
                return [SlotSet("resolved", False)]
            dispatcher.utter_message(
                text="Sorry that didn't solve it. Would you like me to pass this to a person? "
                "They'll see everything we've covered.",
                buttons=[TALK_TO_PERSON],
            )
            return [SlotSet("resolved", False)]
        helped = intent == "affirm"
        feedback = [
            *(tracker.get_slot("kb_feedback") or []),
            {**current, "outcome": "helped" if helped else "did not help", "at": now_iso()},
        ]
        events: list[dict[str, Any]] = [SlotSet("kb_feedback", feedback), SlotSet("kb_current", None)]
        if helped:
            dispatcher.utter_message(text="Great, glad that helped!")
            return [*events, SlotSet("resolved", True), SlotSet("ts_flow", None), SlotSet("ts_step", None)]
        events.append(SlotSet("resolved", False))
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
