"""Answer questions from the knowledge base, with a link to the article."""

from __future__ import annotations

import asyncio
import logging
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.settings import get_settings
from kb_index.search import IndexNotBuiltError, KBSearcher
from kb_index.settings import KBSettings

log = logging.getLogger(__name__)

TALK_TO_PERSON = {"title": "Talk to a person", "payload": "/request_human"}


@lru_cache(maxsize=1)
def get_searcher() -> KBSearcher:
    # Created on first use (or by the server's warm-up), never at import time.
    return KBSearcher(KBSettings())


class ActionAnswerFromKB(Action):
    def name(self) -> str:
        return "action_answer_from_kb"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        question = (tracker.latest_message or {}).get("text") or ""
        searcher = get_searcher()
        try:
            hits = await asyncio.to_thread(searcher.search, question, 1)
        except IndexNotBuiltError:
            log.error("KB index missing: answering without it")
            dispatcher.utter_message(
                text="I can't search our help articles right now. I can pass your question to a person.",
                buttons=[TALK_TO_PERSON],
            )
            return [SlotSet("handoff_reason", "no_kb_answer")]
        if not hits or hits[0].score < searcher.settings.min_score:
            dispatcher.utter_message(
                text="I couldn't find a help article that answers that. Would you like a person to take a look?",
                buttons=[TALK_TO_PERSON],
            )
            return [SlotSet("handoff_reason", "no_kb_answer")]
        hit = hits[0]
        link = urljoin(get_settings().help_site_url, hit.url)
        dispatcher.utter_message(
            text=f"From our help article **{hit.title}**:\n\n{hit.passage}\n\nFull article: [{hit.title}]({link})",
            json_message=None,
        )
        shown = list(tracker.get_slot("kb_articles_shown") or [])
        if hit.article_id not in shown:
            shown.append(hit.article_id)
        return [SlotSet("kb_articles_shown", shown)]
