"""An angry message about a problem the bot can fix: one empathic line and a visible way to a
person, then the fix itself. (Anger that should go to a person at once never gets here: the NLU
makes it a complaint, see bot/nlu/frustration_cues.py.)"""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.dialogue import TALK_TO_PERSON
from bot.nlu.frustration_cues import is_frustrated

ACKNOWLEDGE = (
    "I'm sorry, that's really frustrating, especially when you need it working. Let's get it fixed right "
    "away; if you'd rather have a person, tap below at any time."
)


def acknowledge_frustration(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Say the empathic line, with a "Talk to a person" button, when the latest message is angry."""
    text = (tracker.latest_message or {}).get("text") or ""
    if is_frustrated(text):
        dispatcher.utter_message(text=ACKNOWLEDGE, buttons=[TALK_TO_PERSON])
