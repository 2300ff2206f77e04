"""Answer questions from the knowledge base: quote the passage briefly, cite the article, ask
whether it helped; offer the next-best article once, then hand over with what was tried."""

from __future__ import annotations

import asyncio
import logging
import re
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.settings import get_settings
from bot.actions.understanding.signals import question_core
from bot.actions.widget_payloads import widget_payload
from kb_index.search import Hit, IndexNotBuiltError, KBSearcher
from kb_index.settings import KBSettings

log = logging.getLogger(__name__)

DID_IT_HELP = [{"title": "Yes, that helped", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
# What "No" to an article offers, by the task the question (or the article's `task:`) is about.
NO_THEN = {
    "password_reset": "No, send me a reset link",
    "account_locked": "No, unlock my account",
    "two_factor_problem": "No, help me sign in",
    "subscription_change": "No, change my plan",
    "cancel_subscription": "No, cancel my plan",
    "software_activation": "No, activate my key",
    "billing_question": "No, ask the billing team",
}
THEN_SLOT = "kb_then"  # {"intent", "text"}: what a "No" to the article starts
NOT_SURE = "I don't have an article that answers exactly that. The closest one I have is"
# Nothing close: say so, and offer both ways on (a rephrased question is routed as a new one).
NO_ARTICLE = "I don't have a help article for that. You can ask it another way, or I can pass it to a person."
REPHRASE = "Sure: ask it in other words, and I'll look again."
REPHRASE_OR_PERSON = [
    {"title": "Yes, a person please", "payload": "/affirm"},
    {"title": "I'll ask another way", "payload": "/deny"},
]
QUOTE_CHARS = 420  # a short quote; the link has the rest
SENTENCE_END = re.compile(r"(?<=[.!?])\s")


@lru_cache(maxsize=1)
def get_searcher() -> KBSearcher:
    # Created on first use (or by the server's warm-up), never at import time.
    return KBSearcher(KBSettings())


def quote_of(passage: str, limit: int = QUOTE_CHARS) -> str:
    """The passage cut at a sentence end before `limit` characters."""
    if len(passage) <= limit:
        return passage
    cut = [m.start() for m in SENTENCE_END.finditer(passage) if m.start() <= limit]
    return passage[: cut[-1]] if cut else passage[:limit].rsplit(" ", 1)[0] + "…"


def answer_with(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    hit: Hit,
    lead: str,
    buttons: list[dict[str, str]] | None = None,
    doubted: bool = False,
    question: str | None = None,
) -> list[dict[str, Any]]:
    """Quote the article, cite it, then "Did this help?" (kb_feedback_form asks it, with `buttons`)."""
    shown = show_answer(dispatcher, tracker, hit, lead, buttons, doubted, question)
    return [*shown, SlotSet("requested_slot", None), FollowupAction("kb_feedback_form")]


def show_answer(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    hit: Hit,
    lead: str,
    buttons: list[dict[str, str]] | None = None,
    doubted: bool = False,
    question: str | None = None,
) -> list[dict[str, Any]]:
    """Quote the article and cite it; the slot events that "Did this help?" reads, for a caller
    that asks it (`answer_with`, or kb_feedback_form itself for a follow-up question).
    A `doubted` hit (the KB's decision is not sure it answers) is named as the nearest article,
    unquoted: a passage that may not answer must not read as the answer. With the customer's
    `question` and an article about a task the assistant can do (its `task:`), "No" offers that
    task ("No, activate my key") and starts it with the question."""
    link = urljoin(get_settings().help_site_url, hit.url)
    if not doubted:
        text = f"{lead} **{hit.title}**:\n{quote_of(hit.passage)}\nFull article: [{hit.title}]({link})"
    else:
        text = f"{NOT_SURE} **{hit.title}**. It may not cover your question: [{hit.title}]({link})"
    dispatcher.utter_message(text=text)
    # For the widget's citation card; channels without custom payloads have the link in the text.
    citation = {"article_id": hit.article_id, "title": hit.title, "url": link, "doubted": doubted}
    dispatcher.utter_message(json_message=widget_payload(citation=citation))
    shown = list(tracker.get_slot("kb_articles_shown") or [])
    if hit.article_id not in shown:
        shown.append(hit.article_id)
    then = []
    if question and buttons is None and hit.task in NO_THEN:
        buttons = [DID_IT_HELP[0], {"title": NO_THEN[hit.task], "payload": "/deny"}]
        then = [SlotSet(THEN_SLOT, {"intent": hit.task, "text": question})]
    return [
        *then,
        SlotSet("kb_articles_shown", shown),
        SlotSet("kb_current", {"article_id": hit.article_id, "title": hit.title}),
        SlotSet("kb_buttons", buttons or DID_IT_HELP),
        SlotSet("kb_helped", None),
    ]


async def search_kb(question: str, top_k: int = 3) -> list[Hit]:
    """The best passages per article for a question; [] without an index (logged)."""
    try:
        return await asyncio.to_thread(get_searcher().search, question_core(question), top_k)
    except IndexNotBuiltError:
        log.error("KB index missing: no article for %r", question[:80])
        return []


async def best_article(question: str) -> Hit | None:
    """The best article for a question if it answers it (kb_index's decision), else None (also without an index)."""
    hits = await search_kb(question, 1)
    return hits[0] if hits and hits[0].answers else None


async def strong_articles(question: str, top_k: int = 2) -> list[Hit]:
    """The best articles that clear KB_FIRST_MIN_SCORE and answer the question (kb_index's
    decision) or come close: good enough to show before anything else. A close one is shown as the
    nearest article, not as the answer (`answer_with(..., doubted=not hit.answers)`): for a question
    that names a task ("if I cancel today, do I lose my files?") it beats starting the task."""
    floor = get_settings().kb_first_min_score
    return [h for h in await search_kb(question, top_k) if (h.answers or h.related) and h.score >= floor]


async def strong_article(question: str) -> Hit | None:
    hits = await strong_articles(question, 1)
    return hits[0] if hits else None


async def follow_up_article(question: str, current: dict[str, Any]) -> Hit | None:
    """The article that answers a question asked about the one just shown ("is that the same on
    the free plan?", "how long until it's on my card?"): read with the shown article's title, the
    question's "that" and "it" have something to refer to. A question about something else is
    answered by its own best article when that one scores at least as well. None when neither
    answers (kb_index's decision)."""
    in_context, other = await asyncio.gather(
        search_kb(f"{current.get('title', '')}: {question}", 3), best_article(question)
    )
    same = next((h for h in in_context if h.article_id == current.get("article_id") and h.answers), None)
    elsewhere = other is not None and other.article_id != current.get("article_id")
    if elsewhere and (same is None or other.score >= same.score):
        return other
    return same or other


def kb_miss(hits: list[Hit], min_score: float) -> dict[str, Any]:
    """The marker of a question no article answered well enough, for the review inbox (insights/):
    the nearest article and its score tell a writer how far off the KB was."""
    nearest = max(hits, key=lambda h: h.score, default=None)
    miss = {
        "nearest": nearest.article_id if nearest else None,
        "best_score": round(nearest.score, 4) if nearest else None,
        "confidence": None if nearest is None or nearest.confidence is None else round(nearest.confidence, 4),
        "min_score": min_score,
    }
    return SlotSet("kb_miss", miss)
