"""A Rasa 3.6 post-processor for extracted entities (place it before EntitySynonymMapper).

- Entities with a fixed format (email, ticket id, licence key, error code) are found by
  RegexEntityExtractor from the regexes in bot/data/nlu/entities.yml, the words customers use for
  systems, browsers, clients, plans and devices by LexiconEntityExtractor; the CRF may find the
  same span again. Where spans overlap, the more trusted extractor's entity is kept (in the order
  of `preferred_extractors`; two trusted ones of different types may share words: "iPhone 14" a
  device, "iOS 17" next to it an os).
- The CRF sometimes tags each word of a multi-word value separately ("google" + "chrome"): entities
  of the same type separated only by spaces are joined into one, whose value is the text of the
  whole span, so that the synonym mapper can normalise it ("google chrome" -> Chrome).

    - name: bot.nlu.entity_merger.EntityMerger
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class EntityMerger(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # Earlier in the list wins where spans overlap; extractors not listed (the CRF) come last.
        return {"preferred_extractors": ["RegexEntityExtractor", "LexiconEntityExtractor"], "join_adjacent": True}

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = {**self.get_default_config(), **config}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EntityMerger:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            entities = message.get(ENTITIES)
            if entities:
                message.set(ENTITIES, self.clean(entities, message.get(TEXT) or ""), add_to_output=True)
        return messages

    def clean(self, entities: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
        preferred = self.config["preferred_extractors"]
        rank = {name: i for i, name in enumerate(preferred)}
        kept: list[dict[str, Any]] = []
        for e in sorted(entities, key=lambda e: rank.get(e.get("extractor"), len(preferred))):
            if any(_overlap(e, k) and (k["entity"] == e["entity"] or e.get("extractor") not in rank) for k in kept):
                continue  # a less trusted extractor's span over a kept one
            kept.append(e)
        kept.sort(key=lambda e: (e.get("start", 0), e.get("end", 0)))
        if not self.config["join_adjacent"]:
            return kept
        joined: list[dict[str, Any]] = []
        for e in kept:
            last = joined[-1] if joined else None
            if (
                last is not None
                and last["entity"] == e["entity"]
                and last.get("extractor") == e.get("extractor")
                and e.get("extractor") not in rank
                and "start" in e
                and "end" in last
                and text[last["end"] : e["start"]].strip() == ""
                and e["start"] >= last["end"]
            ):
                last["end"] = e["end"]
                last["value"] = text[last["start"] : last["end"]]
                if "confidence_entity" in last and "confidence_entity" in e:
                    last["confidence_entity"] = min(last["confidence_entity"], e["confidence_entity"])
                continue
            joined.append(dict(e))
        return joined


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if "start" not in a or "start" not in b:
        return False
    return a["start"] < b["end"] and b["start"] < a["end"]
