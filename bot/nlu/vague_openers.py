"""A Rasa 3.6 intent post-processor: a problem reported without saying what it is becomes
`vague_problem` (bot/nlu/vague_opener_cues.py has the rule), which the bot answers with one open
question and the main areas as buttons.

Without it the classifier's best guess for "nimbus is acting up" or "I have a problem" was a
complaint or a request for a person, and the customer got a ticket before saying anything about
the problem. Only those guesses, a greeting, out-of-scope and not-understood are replaced; a "no, it's not
working" is left to the dialogue, which knows whether it answers a question. Place it after the
FallbackClassifier and before the FrustrationDetector (an angry vague opener is still anger).

    - name: bot.nlu.vague_openers.VagueOpenerDetector
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.intent_override import RuleIntentOverride
from bot.nlu.vague_opener_cues import is_vague_problem


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class VagueOpenerDetector(RuleIntentOverride):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent": "vague_problem",
            "confidence": 0.9,
            "replaces": ["greet", "complain", "request_human", "out_of_scope", "nlu_fallback"],
        }

    def overrides(self, message: Message) -> bool:
        intent = (message.get("intent") or {}).get("name")
        return intent in self.config["replaces"] and is_vague_problem(message.get(TEXT) or "")
