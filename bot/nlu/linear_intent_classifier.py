"""A Rasa 3.6 intent classifier: multinomial logistic regression on the sentence features.

It reads every sentence-level feature of the message text that the featurizers before it added
(word and character n-gram counts, the MiniLM sentence embedding, ...), L2-normalises each sparse
block (so a long message does not simply have bigger counts), and fits one
multinomial logistic regression (scikit-learn's objective; bot/nlu/softmax_regression.py keeps
the dense blocks dense, which is what makes training fast). Compared with DIET on our data this
classifies intents better and trains in seconds instead of minutes (see docs/nlu.md and
`make bench-nlu`); DIET still extracts the entities.

The model is stored as plain numpy arrays (weights, bias, labels), not as a pickle.

    - name: bot.nlu.linear_intent_classifier.LinearIntentClassifier
      C: 10
"""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import softmax_regression

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(IntentClassifier, GraphComponent):
    """Logistic regression over the concatenated, per-block normalised sentence features."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def required_packages() -> list[str]:
        return ["scipy"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Inverse regularisation strength of the logistic regression.
            "C": 10.0,
            "max_iter": 2000,
            # Names (aliases) of the featurizers to use; empty: every sentence feature of the text.
            "featurizers": [],
            # Weight of each L2-normalised sparse block relative to the dense ones.
            "sparse_weight": 1.0,
            "ranking_length": 10,
        }

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource, name: str) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.name = name
        self.blocks: list[tuple[str, int]] = []  # (featurizer, width) in feature order
        self.labels: list[str] = []
        self.weights: np.ndarray | None = None  # (features, labels)
        self.bias: np.ndarray | None = None

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        return cls(config, model_storage, resource, execution_context.node_name)

    # --- features -------------------------------------------------------------------------------
    def _sentence_features(self, message: Message) -> dict[str, Any]:
        wanted = set(self.config["featurizers"])
        found = {}
        for f in message.features:
            if f.type == FEATURE_TYPE_SENTENCE and f.attribute == TEXT and (not wanted or f.origin in wanted):
                found[f.origin if isinstance(f.origin, str) else "+".join(f.origin)] = f.features
        return found

    def _blocks(self, messages: list[Message]) -> list[np.ndarray | scipy.sparse.csr_matrix]:
        """One matrix per feature block, in `self.blocks` order: sparse blocks L2-normalised rows
        (scaled by `sparse_weight`), dense blocks as they are."""
        weight = float(self.config["sparse_weight"])
        per_message = [self._sentence_features(m) for m in messages]
        out: list[np.ndarray | scipy.sparse.csr_matrix] = []
        for origin, width in self.blocks:
            found = [features.get(origin) for features in per_message]
            if any(scipy.sparse.issparse(block) for block in found):
                rows = []
                for block in found:
                    if block is None:
                        rows.append(scipy.sparse.csr_matrix((1, width), dtype=np.float32))
                        continue
                    block = scipy.sparse.csr_matrix(block, dtype=np.float32)
                    norm = np.sqrt(block.multiply(block).sum())
                    rows.append(block * (weight / norm) if norm > 0 else block)
                out.append(scipy.sparse.vstack(rows).tocsr())
            else:
                dense = np.zeros((len(messages), width), dtype=np.float32)
                for i, block in enumerate(found):
                    if block is not None:
                        dense[i] = np.asarray(block, dtype=np.float32).reshape(-1)
                out.append(dense)
        return out

    def _scores(self, messages: list[Message]) -> np.ndarray:
        scores = np.tile(self.bias.astype(np.float64), (len(messages), 1))
        start = 0
        for block in self._blocks(messages):
            end = start + block.shape[1]
            scores += np.asarray(block @ self.weights[start:end], dtype=np.float64)
            start = end
        return scores

    # --- training -------------------------------------------------------------------------------
    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(INTENT) and m.get(TEXT)]
        labels = sorted({m.get(INTENT) for m in examples})
        if len(labels) < 2:
            logger.warning("LinearIntentClassifier needs at least two intents; not trained.")
            return self._resource
        widths: dict[str, int] = {}
        for m in examples:
            for origin, block in self._sentence_features(m).items():
                widths[origin] = block.shape[-1]
        self.blocks = sorted(widths.items())
        if not self.blocks:
            raise ValueError("LinearIntentClassifier found no sentence features: add featurizers before it")
        index = {label: i for i, label in enumerate(labels)}
        y = np.array([index[m.get(INTENT)] for m in examples])
        weights, bias = softmax_regression.fit(
            self._blocks(examples), y, len(labels), C=float(self.config["C"]), max_iter=int(self.config["max_iter"])
        )
        self.labels = [str(label) for label in labels]
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.persist()
        return self._resource

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as path:
            np.save(path / "weights.npy", self.weights)
            np.save(path / "bias.npy", self.bias)
            (path / "meta.json").write_text(json.dumps({"labels": self.labels, "blocks": self.blocks}))

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        component = cls(config, model_storage, resource, execution_context.node_name)
        try:
            with model_storage.read_from(resource) as path:
                component.weights = np.load(path / "weights.npy", allow_pickle=False)
                component.bias = np.load(path / "bias.npy", allow_pickle=False)
                meta = json.loads((path / "meta.json").read_text())
        except (ValueError, FileNotFoundError):
            logger.debug(f"{cls.__name__}: no trained model in '{resource.name}'")
            return component
        component.labels = meta["labels"]
        component.blocks = [(origin, int(width)) for origin, width in meta["blocks"]]
        return component

    # --- prediction -----------------------------------------------------------------------------
    def predict(self, messages: list[Message]) -> np.ndarray:
        """(messages, labels) probabilities."""
        scores = self._scores(messages)
        scores -= scores.max(axis=1, keepdims=True)
        probabilities = np.exp(scores)
        return probabilities / probabilities.sum(axis=1, keepdims=True)

    def process(self, messages: list[Message]) -> list[Message]:
        todo = [m for m in messages if isinstance(m.get(TEXT), str)]
        if self.weights is None or not todo:
            return messages
        length = int(self.config["ranking_length"]) or len(self.labels)
        for message, row in zip(todo, self.predict(todo), strict=True):
            order = np.argsort(-row)[:length]
            ranking = [{"name": self.labels[i], "confidence": float(row[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages
