"""Shared by the rule-based intent post-processors: put one intent first, keep the rest of the
ranking. `RuleIntentOverride` is their common shape: a config with the `intent` and `confidence`
to set, and `overrides(message)` saying whether a rule applies to a message."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT
from rasa.shared.nlu.training_data.message import Message


def override_intent(message: Message, name: str, confidence: float) -> None:
    ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") != name]
    chosen = {"name": name, "confidence": confidence}
    message.set(INTENT, chosen, add_to_output=True)
    message.set("intent_ranking", [chosen, *ranking], add_to_output=True)


class RuleIntentOverride(GraphComponent):
    """A non-trainable post-processor; subclasses register themselves with Rasa's recipe and say
    in `overrides` when their rule applies."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = {**self.get_default_config(), **config}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RuleIntentOverride:
        return cls(config)

    def overrides(self, message: Message) -> bool:
        raise NotImplementedError

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if self.overrides(message):
                override_intent(message, self.config["intent"], self.config["confidence"])
        return messages
