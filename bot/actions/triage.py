"""Question or problem? A how-to question that names a problem ("how do I add my printer by its IP
address?", "how long does a lockout last?") is answered from the KB first; "No" then starts the
troubleshooting flow or the account task the question is about. Problems ("my printer is offline")
and requests ("please reset my password") go straight to the flow or task."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.detours import routed_again
from bot.actions.dialogue import latest_text
from bot.actions.kb import answer_with, get_searcher, search_kb
from bot.actions.settings import get_settings
from bot.actions.understanding.signals import wants_information
from kb_index.search import Hit

# What "No" offers after a KB-first answer, by the intent the question was about.
NO_THEN = {
    "password_reset": "No, send me a reset link",
    "account_locked": "No, unlock my account",
    "two_factor_problem": "No, help me sign in",
    "subscription_change": "No, change my plan",
    "cancel_subscription": "No, cancel my plan",
    "software_activation": "No, activate my key",
    "billing_question": "No, ask the billing team",
}
TROUBLESHOOT_INSTEAD = "No, let's troubleshoot it"
THEN_SLOT = "kb_then"  # {"intent", "text"}: what a "No" to the KB-first answer starts


async def strong_article(question: str) -> Hit | None:
    hits = await search_kb(question, 1)
    floor = max(get_settings().kb_first_min_score, get_searcher().settings.min_score)
    return hits[0] if hits and hits[0].score >= floor else None


async def kb_first(dispatcher: CollectingDispatcher, tracker: Tracker, intent: str) -> list[dict[str, Any]] | None:
    """The KB-first answer to a how-to question about `intent` (events that end the turn), or None
    when the message is a problem or request, was routed here by a "No" already, or no article
    answers it well."""
    text = latest_text(tracker)
    if routed_again(tracker) or text.startswith("/") or not wants_information(text):
        return None
    hit = await strong_article(text)
    if hit is None:
        return None
    buttons = [
        {"title": "Yes, that helped", "payload": "/affirm"},
        {"title": NO_THEN.get(intent, TROUBLESHOOT_INSTEAD), "payload": "/deny"},
    ]
    events = answer_with(dispatcher, tracker, hit, "From our help article", buttons=buttons)
    return [
        *events,
        SlotSet("kb_next", []),
        SlotSet(THEN_SLOT, {"intent": intent, "text": text}),
        SlotSet("resolved", None),
    ]
