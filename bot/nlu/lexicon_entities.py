"""A Rasa 3.6 entity extractor from a lexicon (bot/nlu/entity_lexicon.yml): the words customers use
for operating systems, browsers, Nimbus clients, plans and devices, and the fixed formats of error
codes, ticket numbers, addresses and licence keys. spaCy's PhraseMatcher finds the phrases (any
case, whole words); regular expressions find names with numbers ("galaxy s21", "iphone 14 pro").

Everyday words that are also values ("plus", "free", "edge") count only with a context word near
them ("upgrade to plus", "in edge"). Where spans overlap, the longest wins. The lexicon is read at
training time and stored in the model, so a model always extracts what it was trained with.

    - name: bot.nlu.lexicon_entities.LexiconEntityExtractor
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import spacy
import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from spacy.matcher import PhraseMatcher

LEXICON = Path(__file__).with_name("entity_lexicon.yml")
STORED = "lexicon.json"
CONTEXT_WINDOW = 3  # words either side of an everyday word that may make it a value


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class LexiconEntityExtractor(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"lexicon": str(LEXICON)}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.lexicon: dict[str, Any] = {}
        self._nlp = spacy.blank("en")
        self._phrases: PhraseMatcher | None = None
        self._everyday: PhraseMatcher | None = None
        self._values: dict[str, tuple[str, str]] = {}  # match key -> (entity, value)
        self._context: dict[str, set[str]] = {}
        self._patterns: list[tuple[str, str | None, re.Pattern[str]]] = []

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LexiconEntityExtractor:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        self.lexicon = yaml.safe_load(Path(self.config["lexicon"]).read_text(encoding="utf-8"))["entities"]
        with self._model_storage.write_to(self._resource) as folder:
            (folder / STORED).write_text(json.dumps(self.lexicon), encoding="utf-8")
        self._compile()
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LexiconEntityExtractor:
        extractor = cls(config, model_storage, resource)
        with model_storage.read_from(resource) as folder:
            extractor.lexicon = json.loads((folder / STORED).read_text(encoding="utf-8"))
        extractor._compile()
        return extractor

    def _compile(self) -> None:
        self._phrases = PhraseMatcher(self._nlp.vocab, attr="LOWER")
        self._everyday = PhraseMatcher(self._nlp.vocab, attr="LOWER")
        for entity, spec in self.lexicon.items():
            for matcher, key in ((self._phrases, "phrases"), (self._everyday, "needs_context")):
                for value, phrases in (spec.get(key) or {}).items():
                    label = f"{entity}|{value}|{key}"
                    self._values[label] = (entity, value)
                    matcher.add(label, [self._nlp.make_doc(p) for p in phrases])
            self._context[entity] = {w.lower() for w in spec.get("context") or []}
            patterns = spec.get("patterns") or []
            items = patterns.items() if isinstance(patterns, dict) else [(None, p) for p in patterns]
            for value, found in items:
                for pattern in found if isinstance(found, list) else [found]:
                    self._patterns.append((entity, value, re.compile(rf"(?<![\w@.-])(?:{pattern})(?![\w@-])")))

    def extract(self, text: str) -> list[dict[str, Any]]:
        doc = self._nlp.make_doc(text)
        lower = [t.lower_ for t in doc]
        found: list[dict[str, Any]] = []
        for matcher, needs_context in ((self._phrases, False), (self._everyday, True)):
            for match_id, start, end in matcher(doc):
                entity, value = self._values[self._nlp.vocab.strings[match_id]]
                if needs_context:
                    near = set(lower[max(0, start - CONTEXT_WINDOW) : start] + lower[end : end + CONTEXT_WINDOW])
                    if not near & self._context.get(entity, set()):
                        continue
                span = doc[start:end]
                found.append(self._entity(entity, value, span.start_char, span.end_char, text))
        said = text.lower()
        for entity, value, pattern in self._patterns:
            min_digits = int((self.lexicon.get(entity) or {}).get("min_digits") or 0)
            for m in pattern.finditer(said):
                if sum(c.isdigit() for c in m.group(0)) >= min_digits:
                    found.append(self._entity(entity, value, m.start(), m.end(), text))
        return _longest_first(found)

    @staticmethod
    def _entity(entity: str, value: str | None, start: int, end: int, text: str) -> dict[str, Any]:
        return {
            "entity": entity,
            "start": start,
            "end": end,
            "value": value if value is not None else text[start:end],
            "confidence": 1.0,
            "extractor": "LexiconEntityExtractor",
        }

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if not text or text.startswith("/"):
                continue
            entities = self.extract(text)
            if entities:
                message.set(ENTITIES, [*(message.get(ENTITIES) or []), *entities], add_to_output=True)
        return messages


def _longest_first(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Overlapping spans of one type: the longest wins. Of two types both may stand ("iphone 14"
    a device, "ios 17" an os), except a device inside a client's name ("desktop app")."""
    kept: list[dict[str, Any]] = []
    for e in sorted(entities, key=lambda e: (e["start"] - e["end"], e["start"])):
        if any(k["entity"] == e["entity"] and k["start"] < e["end"] and e["start"] < k["end"] for k in kept):
            continue
        if e["entity"] == "device" and any(
            k["entity"] == "app_platform" and k["start"] <= e["start"] and e["end"] <= k["end"] for k in kept
        ):
            continue
        kept.append(e)
    return sorted(kept, key=lambda e: e["start"])
