"""Small facts about the conversation that several capabilities need."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet

from bot.actions.flow_content import Wording

# While a form asks for something, these intents are not answers: rules handle them instead
# (hand over, apologise, change the wording) and the form continues or stops.
INTERRUPTIONS = frozenset({"request_human", "complain", "explain_simpler"})
TALK_TO_PERSON = {"title": "Talk to a person", "payload": "/request_human"}
PERSON_OR_NOT = [{"title": "Yes, a person please", "payload": "/affirm"}, {"title": "No, thanks", "payload": "/deny"}]
YES_NO = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]


def latest_intent(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def wording(tracker: Tracker) -> Wording:
    """Technical unless the customer asked for simpler words; the choice sticks."""
    return "plain" if tracker.get_slot("detail_level") == "plain" else "technical"


def leave_csat_question(tracker: Tracker) -> list[dict[str, Any]]:
    """A customer who starts something new instead of rating simply skips the rating."""
    if (tracker.active_loop or {}).get("name") == "csat_form":
        return [ActiveLoop(None), SlotSet("requested_slot", None)]
    return []


def now_iso() -> str:
    """When something was tried: steps and articles are listed for the agent in this order."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")
