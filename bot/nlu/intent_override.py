"""Shared by the rule-based intent post-processors: put one intent first, keep the rest of the ranking."""

from __future__ import annotations

from rasa.shared.nlu.constants import INTENT
from rasa.shared.nlu.training_data.message import Message


def override_intent(message: Message, name: str, confidence: float) -> None:
    ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") != name]
    chosen = {"name": name, "confidence": confidence}
    message.set(INTENT, chosen, add_to_output=True)
    message.set("intent_ranking", [chosen, *ranking], add_to_output=True)
