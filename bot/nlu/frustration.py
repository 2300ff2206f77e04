"""A Rasa 3.6 intent post-processor: an angry message is a complaint, whatever problem it also names.

"This is the third time this week the internet is down. I've had enough" names a problem, and the
classifier sees the problem; the customer wants a person. Cues are scored (unmistakable phrases 3, strong
ones 2, milder words and shouting 1); at `threshold` the intent becomes `complain`, which hands the conversation
over. Mild annoyance ("so annoying, my wifi drops") stays below it. Place it after the intent
classifier and the FallbackClassifier.

    - name: bot.nlu.frustration.FrustrationDetector
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.intent_override import override_intent

# Unmistakable on their own (3, the threshold): no one writes these calmly.
FURIOUS = re.compile(
    r"\b(?:furious|fuming|livid|outrageous|disgrace\w*|pathetic|unacceptable|sick and tired|fed up|had enough|"
    r"(?:lost|losing) my patience|what the hell|wtf|"
    r"(?:worst|terrible|awful|horrible|rubbish|garbage) (?:service|support|"
    r"app|company|experience|product|software)|this is a joke|absolute (?:joke|nightmare)|total nightmare|scam|"
    r"(?:ive|i ve|i have) had it|are you kidding|how many times do i have to|(?:make|file|lodge) a complaint|"
    r"very disappointed|(?:so|really|extremely|very) angry|pissed off|your software is garbage|incompetent)\b"
)
# Strong, but also said of a device or a situation ("my phone is useless"): 2.
STRONG = re.compile(
    r"\b(?:sick of|ridiculous|useless|waste of (?:my )?time|wasting my time|wasted (?:my|the|a) (?:whole|entire)?|"
    r"you people|(?:im|i m|i am) (?:so )?done|so done with|(?:could|want to|going to|will) scream|"
    r"nothing ever (?:works|gets fixed|changes)|never (?:ever )?works|every single time|"
    r"(?:third|fourth|fifth|tenth) time|for the last time|beyond frustrat\w*|(?:so|really|extremely|very) frustrat\w*|"
    r"(?:cant|can t|cannot) believe|(?:im|i m|i am) (?:angry|pissed)|fix it now|sort it out now|garbage|a mess)\b"
)
MILD = re.compile(
    r"\b(?:frustrat\w*|annoy\w*|ugh+|seriously|again|(?:already )?tried everything|nothing (?:works|helps)|"
    r"hours|all day|whole (?:morning|day|week|evening)|keep missing|still)\b"
)
# Shouting: words in capitals that are not the usual abbreviations.
ABBREVIATIONS = frozenset(
    {"VPN", "PC", "USB", "WIFI", "WI", "FI", "OK", "IT", "IOS", "OS", "PDF", "DNS", "IP", "TV", "ID", "PIN", "SMS",
     "NIM", "REF", "UK", "US", "EU", "MAC", "HP", "LAN", "ISP", "AM", "PM", "FAQ", "IMAP", "SMTP", "API", "GB", "MB"}
)  # fmt: skip
SHOUT = re.compile(r"\b[A-Z]{3,}\b")


def frustration_score(text: str) -> int:
    said = re.sub(r"[^a-z0-9]+", " ", text.lower().replace("'", "").replace("’", ""))
    score = 3 * len(FURIOUS.findall(said)) + 2 * len(STRONG.findall(said)) + min(len(MILD.findall(said)), 2)
    shouting = [w for w in SHOUT.findall(text) if w not in ABBREVIATIONS]
    score += min(len(shouting), 2) + (1 if "!!" in text else 0)
    return score


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class FrustrationDetector(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"threshold": 3, "intent": "complain", "confidence": 0.95}

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = {**self.get_default_config(), **config}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FrustrationDetector:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if not text.startswith("/") and frustration_score(text) >= self.config["threshold"]:
                override_intent(message, self.config["intent"], self.config["confidence"])
        return messages
