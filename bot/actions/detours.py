"""Leaving the path for a moment or for good: a question on the side answered from the KB (then
the bot goes back to where it was), and a customer who says the bot got the problem wrong (the
flow ends and their new statement is routed as if they had just said it)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urljoin

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, SlotSet, UserUttered
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.asking import OPEN_QUESTION
from bot.actions.flow_content import flow_book
from bot.actions.interruptions import SUPPORT_INTENTS
from bot.actions.kb import answer_with, best_article, quote_of
from bot.actions.nlu_client import parse
from bot.actions.settings import get_settings
from bot.actions.understanding.signals import wants_information
from bot.actions.widget_payloads import widget_payload
from common.event_metadata import ROUTED_AGAIN

log = logging.getLogger(__name__)

# Intents a restated problem can be routed to; greetings and yes/no carry no problem.
ROUTABLE = SUPPORT_INTENTS | {"request_human", "complain", "out_of_scope"}
ROUTING_CONFIDENCE = 0.3
# Once the likeliest problem is ruled out ("no, that's not it"), the next one may be far behind.
ROUTING_CONFIDENCE_AFTER_EXCLUDING = 0.03
SURE_CONFIDENCE = 0.5


async def answer_on_the_side(dispatcher: CollectingDispatcher, question: str) -> bool:
    """Answer a side question from the KB without "did this help?" (the open question stays the
    customer's next answer). False when no article answers it well enough."""
    hit = await best_article(question)
    if hit is None:
        dispatcher.utter_message(text="I don't have a help article that answers that, sorry. Let's carry on for now.")
        return False
    link = urljoin(get_settings().help_site_url, hit.url)
    dispatcher.utter_message(
        text=f"Good question. From **{hit.title}**:\n{quote_of(hit.passage)}\nMore: [{hit.title}]({link})"
    )
    dispatcher.utter_message(
        json_message=widget_payload(citation={"article_id": hit.article_id, "title": hit.title, "url": link})
    )
    return True


def leave_flow() -> list[dict[str, Any]]:
    """The troubleshooting flow ends without a result: nothing is pending any more."""
    resets = [SlotSet(f"q_{q}", None) for q in flow_book().questions]
    return [
        *resets,
        SlotSet("ts_flow", None),
        SlotSet("ts_step", None),
        SlotSet(OPEN_QUESTION, None),
        SlotSet("pending", None),
        SlotSet("requested_slot", None),
    ]


def routing_intent(
    ranking: list[dict[str, Any]], exclude: str | None, sure: bool = False
) -> dict[str, Any] | None:
    """The likeliest problem in an intent ranking, other than the one that turned out wrong.
    `sure`: only a support problem the classifier is fairly sure of (for text that may just as well
    be an answer: "no, it is only the laptop")."""
    excluded_top = bool(exclude) and any(c.get("name") == exclude for c in ranking[:1])
    floor = ROUTING_CONFIDENCE_AFTER_EXCLUDING if excluded_top else ROUTING_CONFIDENCE
    allowed = SUPPORT_INTENTS if sure else ROUTABLE
    if sure:
        floor = max(floor, SURE_CONFIDENCE)
    for candidate in ranking:
        name = candidate.get("name")
        if name in allowed and name != exclude and float(candidate.get("confidence") or 0) >= floor:
            return {"name": name, "confidence": candidate.get("confidence")}
    return None


async def read_on_its_own(tracker: Tracker, text: str) -> dict[str, Any]:
    """The NLU's reading of `text`: the latest message's own, or (for part of it) Rasa's parse."""
    latest = tracker.latest_message or {}
    if text.strip() == (latest.get("text") or "").strip():
        return latest
    return await parse(text) or latest


def routed(tracker: Tracker, text: str, intent: dict[str, Any], entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    parse_data = {"text": text, "intent": intent, "intent_ranking": [intent], "entities": entities}
    user = UserUttered(text, parse_data=parse_data, input_channel=tracker.get_latest_input_channel())
    return [ActionExecuted("action_listen"), {**user, "metadata": {ROUTED_AGAIN: True}}]


async def route_again(
    tracker: Tracker, text: str, exclude: str | None = None, intent: str | None = None
) -> list[dict[str, Any]]:
    """Events that make Rasa handle `text` as the customer's next message: the rules for its intent
    then run as they would for a first message. The intent is `intent` when given, else the
    likeliest one other than `exclude` (text that is only part of the message is read on its own by
    the NLU). [] when the text names no problem."""
    if intent is not None:
        return routed(
            tracker, text, {"name": intent, "confidence": 1.0}, (tracker.latest_message or {}).get("entities") or []
        )
    reading = await read_on_its_own(tracker, text)
    chosen = routing_intent(reading.get("intent_ranking") or [], exclude)
    return routed(tracker, text, chosen, reading.get("entities") or []) if chosen else []


async def take_up_instead(
    dispatcher: CollectingDispatcher, tracker: Tracker, text: str, exclude: str | None, sure: bool = False
) -> list[dict[str, Any]]:
    """What the customer said instead of answering (a correction's restated problem, a new
    problem): a how-to question, or the same kind of problem put more precisely ("no, that's not
    it: my company VPN blocks syncing" in the VPN flow), is answered from the best article; anything
    else is routed as a new message. [] when it names nothing the bot can take up."""
    reading = await read_on_its_own(tracker, text)
    top = ((reading.get("intent") or {}).get("name")) if reading else None
    chosen = routing_intent(reading.get("intent_ranking") or [], exclude, sure)
    if not sure and (wants_information(text) or (exclude and top == exclude)):
        hit = await best_article(text)
        if hit is not None:
            # A "no" to the article then takes up the next likeliest problem.
            then = {"intent": chosen["name"], "text": text} if chosen and chosen["name"] in SUPPORT_INTENTS else None
            return [
                *answer_with(dispatcher, tracker, hit, "From our help article"),
                SlotSet("kb_next", []),
                SlotSet("kb_then", then),
            ]
    return routed(tracker, text, chosen, reading.get("entities") or []) if chosen else []


def routed_again(tracker: Tracker) -> bool:
    """Whether the latest message is one the bot routed again (so it is not triaged a second time)."""
    return bool(((tracker.latest_message or {}).get("metadata") or {}).get(ROUTED_AGAIN))
