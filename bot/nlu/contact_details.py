"""A Rasa 3.6 intent post-processor: a message that only gives an email address is `give_email`.

After a handoff the bot offers to answer by email ("type your email address if you may leave");
the customer types "anna@example.com", "it's anna@example.com" or "you can reach me at
anna@example.com". Nothing else in such a message names a problem, so the classifier's guess would
be noise. A message that says more ("password reset for anna@example.com") keeps its intent.
Inside a form the form still takes the address (the `email` slot maps from the entity, whatever the
intent). Place it after the entity extractors and the other post-processors.

    - name: bot.nlu.contact_details.EmailOnlyMessage
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.intent_override import RuleIntentOverride

WORD = re.compile(r"[a-z]+")
# The words around an address that say nothing but "here is my address".
FILLER = frozenset(
    {
        "my",
        "email",
        "e",
        "mail",
        "emails",
        "address",
        "addr",
        "is",
        "it",
        "its",
        "s",
        "it's",
        "here",
        "you",
        "can",
        "could",
        "reach",
        "contact",
        "write",
        "me",
        "at",
        "to",
        "on",
        "use",
        "send",
        "the",
        "answer",
        "reply",
        "please",
        "pls",
        "plz",
        "ok",
        "okay",
        "sure",
        "yes",
        "yeah",
        "yep",
        "fine",
        "and",
        "or",
        "via",
        "by",
        "a",
        "an",
        "this",
        "that",
        "one",
        "thanks",
        "thank",
        "thx",
        "cheers",
        "mine",
        "try",
        "best",
        "under",
        "there",
        "hi",
        "hello",
        "hey",
        "just",
        "in",
        "case",
        "i",
        "am",
        "i'm",
        "m",
        "leave",
        "leaving",
        "gone",
        "go",
        "have",
        "got",
        "if",
        "off",
        "need",
        "be",
        "will",
        "would",
        "for",
        "from",
        "work",
        "personal",
        "new",
    }
)


def only_gives_email(text: str, entities: list[dict[str, Any]]) -> bool:
    spans = sorted((e["start"], e["end"]) for e in entities if e.get("entity") == "email" and "start" in e)
    if len(spans) != 1:
        return False
    start, end = spans[0]
    rest = (text[:start] + " " + text[end:]).lower()
    return all(word in FILLER for word in WORD.findall(rest)) and not re.search(r"\d", rest)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class EmailOnlyMessage(RuleIntentOverride):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"intent": "give_email", "confidence": 1.0}

    def overrides(self, message: Message) -> bool:
        text = message.get(TEXT) or ""
        return bool(text) and not text.startswith("/") and only_gives_email(text, message.get(ENTITIES) or [])
