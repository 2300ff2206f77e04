"""Question or problem? A how-to question that names a problem ("how do I add my printer by its IP
address?", "how long does a lockout last?") is answered from the KB first; "No" then starts the
troubleshooting flow or the account task the question is about. Problems ("my printer is offline")
and requests ("please reset my password") go straight to the flow or task."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.detours import routed_again
from bot.actions.dialogue import latest_text
from bot.actions.kb import answer_with, strong_article, strong_articles
from bot.actions.understanding.signals import wants_information

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
THEN_SLOT = "kb_then"
RUNNER_UP_MARGIN = 0.05  # {"intent", "text"}: what a "No" to the KB-first answer starts


# Intents whose self-help article comes first even for a statement ("the sign-in code never
# arrives"): what a person would do for them (a 2FA reset) is the slow way.
ARTICLE_FIRST = frozenset({"two_factor_problem"})


async def kb_first(dispatcher: CollectingDispatcher, tracker: Tracker, intent: str) -> list[dict[str, Any]] | None:
    """The KB-first answer to a how-to question about `intent` (events that end the turn), or None
    when the message is a problem or request, was routed here by a "No" already, or no article
    answers it well."""
    text = latest_text(tracker)
    if routed_again(tracker) or text.startswith("/"):
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
    events = answer_with(dispatcher, tracker, hit, "From our help article", buttons=buttons)
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
        if hit is None:
            dispatcher.utter_message(response="utter_out_of_scope")
            return []
        return [*answer_with(dispatcher, tracker, hit, "This help article may answer it"), SlotSet("kb_next", [])]
