"""A Rasa 3.6 intent post-processor: a message with nothing in it to act on is not understood.

Keyboard mash ("asdfgh jkl") and messages made only of vague words ("hmm the thing with the
stuff") would otherwise get the classifier's best guess, usually `out_of_scope`, and a customer who
simply was not understood would be told the bot cannot help with that. Here they become
`nlu_fallback`: the bot asks what they mean, and a second miss hands over as "did not understand".

A word counts as known when the training data has it or it is a common English word (spaCy's
lexeme probabilities from spacy-lookups-data, the package the pipeline already uses).

    - name: bot.nlu.unclear_messages.UnclearMessageDetector
"""

from __future__ import annotations

import gzip
import json
import re
from functools import lru_cache
from importlib.resources import files
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.intent_override import override_intent

WORD = re.compile(r"[a-z]+")
VAGUE = frozenset(
    {
        "hmm", "hm", "um", "uh", "erm", "er", "the", "a", "an", "thing", "things", "stuff", "it", "this", "that",
        "these", "those", "one", "ones", "something", "somethin", "whatever", "whatsit", "thingy", "with", "and",
        "or", "of", "my", "your", "is", "was", "there", "here", "you", "know", "like", "so", "well", "blue", "red",
        "other", "again", "same", "about", "for", "on", "in", "to", "what", "huh", "eh", "idk", "just", "maybe",
        "not", "ok", "okay", "then", "now", "mean", "meant", "said", "green", "big", "small", "left", "right",
    }
)
VOCABULARY_FILE = "vocabulary.json"


@lru_cache(maxsize=1)
def common_english(min_log_prob: float) -> frozenset[str]:
    path = files("spacy_lookups_data") / "data/en_lexeme_prob.json.gz"
    with gzip.open(str(path), "rt", encoding="utf-8") as fh:
        probs = json.load(fh)
    return frozenset(w.lower() for w, p in probs.items() if p >= min_log_prob and w.isalpha())


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class UnclearMessageDetector(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # Words rarer than this in web text count as unknown ("qwerty" is -15.1, "wifi" -11.5).
        return {"min_log_prob": -15.0, "min_word_length": 3}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary: frozenset[str] = frozenset()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UnclearMessageDetector:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        seen = {w for m in training_data.training_examples for w in WORD.findall((m.get(TEXT) or "").lower())}
        self.vocabulary = frozenset(seen)
        with self._model_storage.write_to(self._resource) as folder:
            (folder / VOCABULARY_FILE).write_text(json.dumps(sorted(seen)), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> UnclearMessageDetector:
        detector = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as folder:
                detector.vocabulary = frozenset(json.loads((folder / VOCABULARY_FILE).read_text(encoding="utf-8")))
        except ValueError:  # not trained (e.g. an NLU-less model): only common English counts
            pass
        return detector

    def unclear(self, text: str) -> bool:
        words = [w for w in WORD.findall(text.lower()) if len(w) >= self.config["min_word_length"] or w in VAGUE]
        if not words or re.search(r"\d|@", text):
            return False  # digits, codes, addresses: something concrete
        if all(w in VAGUE for w in words):
            return True
        english = common_english(self.config["min_log_prob"])
        return not any(w in self.vocabulary or w in english for w in words if w not in VAGUE)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text and not text.startswith("/") and self.unclear(text):
                override_intent(message, "nlu_fallback", 1.0)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
