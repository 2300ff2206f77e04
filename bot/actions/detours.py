"""Leaving the path for a moment or for good: a question on the side answered from the KB (then
the bot goes back to where it was), a customer who says the bot got the problem wrong (the flow
or form ends and their new statement is routed as if they had just said it), and a long message
routed by the sentence that names its problem."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urljoin

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, FollowupAction, SlotSet, UserUttered
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.asking import OPEN_QUESTION
from bot.actions.dialogue import latest_text
from bot.actions.flow_content import flow_book
from bot.actions.interruptions import Interruption, interruption
from bot.actions.kb import answer_with, best_article, quote_of
from bot.actions.nlu_client import parse
from bot.actions.settings import get_settings
from bot.actions.understanding.sentences import sentences
from bot.actions.understanding.signals import (
    asks_to_talk_to_someone,
    contradiction,
    is_correction,
    restated_problem,
    wants_information,
)
from bot.actions.widget_payloads import widget_payload
from common.event_metadata import ARTICLE_DECLINED, ROUTED_AGAIN
from common.intents import SUPPORT_INTENTS

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


def routing_intent(ranking: list[dict[str, Any]], exclude: str | None, sure: bool = False) -> dict[str, Any] | None:
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


def routed(
    tracker: Tracker,
    text: str,
    intent: dict[str, Any],
    entities: list[dict[str, Any]],
    after_article: bool = False,
) -> list[dict[str, Any]]:
    """`after_article`: the customer said no to an article for this message, so what it is routed
    to does not answer it from the KB again (kb_first, the billing questions)."""
    parse_data = {"text": text, "intent": intent, "intent_ranking": [intent], "entities": entities}
    user = UserUttered(text, parse_data=parse_data, input_channel=tracker.get_latest_input_channel())
    metadata = {ROUTED_AGAIN: True} | ({ARTICLE_DECLINED: True} if after_article else {})
    return [ActionExecuted("action_listen"), {**user, "metadata": metadata}]


async def route_again(
    tracker: Tracker, text: str, exclude: str | None = None, intent: str | None = None, after_article: bool = False
) -> list[dict[str, Any]]:
    """Events that make Rasa handle `text` as the customer's next message: the rules for its intent
    then run as they would for a first message. The intent is `intent` when given, else the
    likeliest one other than `exclude` (text that is only part of the message is read on its own by
    the NLU). [] when the text names no problem."""
    if intent is not None:
        entities = (tracker.latest_message or {}).get("entities") or []
        return routed(tracker, text, {"name": intent, "confidence": 1.0}, entities, after_article)
    reading = await read_on_its_own(tracker, text)
    chosen = routing_intent(reading.get("intent_ranking") or [], exclude)
    return routed(tracker, text, chosen, reading.get("entities") or [], after_article) if chosen else []


async def take_up_instead(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    text: str,
    exclude: str | None,
    sure: bool = False,
    reading: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """What the customer said instead of answering (a correction's restated problem, a new
    problem): a how-to question, or the same kind of problem put more precisely ("no, that's not
    it: my company VPN blocks syncing" in the VPN flow), is answered from the best article; anything
    else is routed as a new message. [] when it names nothing the bot can take up. `reading`: the
    NLU's reading of `text` when the caller has it already."""
    reading = reading or await read_on_its_own(tracker, text)
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


def article_declined(tracker: Tracker) -> bool:
    """Whether the latest message was routed on after the customer said no to an article for it."""
    return bool(((tracker.latest_message or {}).get("metadata") or {}).get(ARTICLE_DECLINED))


GOT_IT_WRONG = "Sorry, I got that wrong."
ASK_INSTEAD = "What can I help you with instead?"


async def change_of_course(
    dispatcher: CollectingDispatcher, tracker: Tracker, current_intent: str | None
) -> list[dict[str, Any]] | None:
    """While a form waits for an email, a code or a key: "no wait, I only wanted to know the price
    first", "that's not it, the app won't even open" or another problem stated outright is not a
    failed answer. The events that take up what the customer said instead (an article, or the new
    problem routed as if just said), or that ask what they need when the correction names nothing;
    None when the message is none of these (the form goes on). The caller ends its form."""
    text = latest_text(tracker)
    if text.startswith("/"):
        return None  # a button: the rules take it
    if is_correction(text):
        restated, corrected = restated_problem(text), True
    elif contradiction(text):
        restated, corrected = contradiction(text), False
    elif interruption(tracker, current_intent) is Interruption.NEW_PROBLEM:
        restated, corrected = text, False
    else:
        return None
    reading = await read_on_its_own(tracker, restated) if restated else None
    same_task = reading and (reading.get("intent") or {}).get("name") == current_intent
    if same_task and not corrected and not wants_information(restated):
        return None  # the same task put again ("no, I want Plus"): the form goes on
    lead = CollectingDispatcher()
    taken = await take_up_instead(lead, tracker, restated, current_intent, reading=reading) if restated else []
    if not taken:
        if not corrected:
            return None  # "no, ..." that names nothing new is only a poor answer
        dispatcher.utter_message(text=f"{GOT_IT_WRONG} {ASK_INSTEAD}")
        return [FollowupAction("action_listen")]
    if corrected:
        dispatcher.utter_message(text=GOT_IT_WRONG)
    dispatcher.messages.extend(lead.messages)
    return taken


async def denied_and_said_instead(tracker: Tracker, intent: str | None) -> list[dict[str, Any]] | None:
    """ "No, it's not my password, the app won't even open on my tablet": the NLU went by the word
    the customer denied. The rest is routed instead when it names another problem; None otherwise
    (the message is what it seemed)."""
    if routed_again(tracker):
        return None
    rest = contradiction(latest_text(tracker))
    if not rest:
        return None
    reading = await read_on_its_own(tracker, rest)
    chosen = routing_intent(reading.get("intent_ranking") or [], exclude=None)
    if not chosen or chosen["name"] == intent:
        return None
    return routed(tracker, rest, chosen, reading.get("entities") or [])


# What one sentence of a long message may route the whole message to: a problem, a task or a person
# (a how-to reading of one sentence says less than the whole message's).
SENTENCE_INTENTS = (SUPPORT_INTENTS - {"ask_howto"}) | {"request_human"}
MIN_SENTENCE_WORDS = 3
# Two sentences say little more apart than together; from three on, backstory can drown the problem.
MIN_SENTENCES = 3


async def problem_sentence(text: str) -> dict[str, Any] | None:
    """In a message of several sentences whose whole reading went nowhere useful (greeting, backstory
    and apology outweighed the problem): the reading of the sentence that names a problem, a task or
    a person, each sentence read on its own ({"name", "confidence", "sentence"}); None when no
    sentence does so with confidence. A person asked for in so many words comes first."""
    parts = [p for p in sentences(text) if len(p.split()) >= MIN_SENTENCE_WORDS]
    if len(parts) < MIN_SENTENCES:
        return None
    readings = await asyncio.gather(*(parse(part) for part in parts))
    found: list[dict[str, Any]] = []
    for part, reading in zip(parts, readings, strict=True):
        intent = (reading or {}).get("intent") or {}
        name, sure = intent.get("name"), float(intent.get("confidence") or 0)
        if name not in SENTENCE_INTENTS or sure < SURE_CONFIDENCE:
            continue
        if name == "request_human" and not asks_to_talk_to_someone(part):
            continue  # "no human has ever answered me": not a request
        found.append({"name": name, "confidence": sure, "sentence": part})
    if not found:
        return None
    return max(found, key=lambda f: (f["name"] == "request_human", f["confidence"]))


async def route_by_problem_sentence(tracker: Tracker) -> list[dict[str, Any]]:
    """Events that route the latest message by its problem sentence (problem_sentence), the whole
    text kept so facts from every sentence still count; [] when no sentence names anything else
    than the whole message did."""
    if routed_again(tracker) or latest_text(tracker).startswith("/"):
        return []
    found = await problem_sentence(latest_text(tracker))
    latest = tracker.latest_message or {}
    if not found or found["name"] == (latest.get("intent") or {}).get("name"):
        return []
    intent = {"name": found["name"], "confidence": found["confidence"]}
    return routed(tracker, latest_text(tracker), intent, latest.get("entities") or [])
