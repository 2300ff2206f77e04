"""A Rasa 3.6 intent post-processor: anger that should go to a person becomes a complaint.

"This is the third time this week the internet is down. I've had enough" names a problem, and the
classifier sees the problem; the customer wants a person: the intent becomes `complain`, which hands
the conversation over. An angry message about a problem the bot can fix keeps its problem intent
(`problem_intents`, when the classifier is at least `problem_confidence` sure): the bot acknowledges
the anger and works on it (bot/nlu/frustration_cues.py has the rules). Mild annoyance ("so annoying,
my wifi drops") stays below the threshold. Place it after the intent classifier and the
FallbackClassifier.

    - name: bot.nlu.frustration.FrustrationDetector
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.frustration_cues import hand_over_at_once
from bot.nlu.intent_override import RuleIntentOverride
from common.intents import FIXABLE_PROBLEMS


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class FrustrationDetector(RuleIntentOverride):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent": "complain",
            "confidence": 0.95,
            # Intents of problems the bot works on; anger about one of them is acknowledged instead.
            "problem_intents": sorted(FIXABLE_PROBLEMS),
            "problem_confidence": 0.5,
        }

    def overrides(self, message: Message) -> bool:
        intent = message.get("intent") or {}
        names_a_problem = (
            intent.get("name") in self.config["problem_intents"]
            and (intent.get("confidence") or 0.0) >= self.config["problem_confidence"]
        )
        return hand_over_at_once(message.get(TEXT) or "", names_a_problem)
