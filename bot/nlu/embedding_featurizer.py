"""A Rasa 3.6 dense featurizer base: a sentence embedding from an ONNX transformer.

The vector (common/onnx_encoder.py: mean pooling, L2-normalised) is added as a *sentence*-level
dense feature of the `text` attribute next to the sparse features of the pipeline, so the intent
classifier sees what the words mean as well as which words and character n-grams occur. The
subclasses (minilm_featurizer.py, mpnet_featurizer.py) only say which model files to load.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from common.onnx_encoder import OnnxSentenceEncoder, shared_encoder


class EmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds one sentence embedding per message text as a dense sentence feature."""

    @classmethod
    def required_components(cls) -> list[type]:
        return []

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            # Word pieces per message; customer messages are short, longer ones are cut.
            "max_tokens": 128,
            # onnxruntime threads; None: OMP_NUM_THREADS or 1.
            "threads": None,
        }

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        self._encoder: OnnxSentenceEncoder | None = None

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EmbeddingFeaturizer:
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if int(config.get("max_tokens", 128)) < 8:
            raise ValueError(f"{cls.__name__}: max_tokens must be at least 8")

    def model_files(self) -> tuple[Path, Path]:
        """(ONNX graph, tokenizer.json) of the model."""
        raise NotImplementedError

    @property
    def encoder(self) -> OnnxSentenceEncoder:
        if self._encoder is None:
            onnx_path, tokenizer = self.model_files()
            self._encoder = shared_encoder(
                onnx_path, tokenizer, int(self._config["max_tokens"]), self._config["threads"]
            )
        return self._encoder

    def embed(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dimensions) float32, one normalised vector per text."""
        return self.encoder.encode(texts)

    def process(self, messages: list[Message]) -> list[Message]:
        # Every message with a text (even an empty one) gets the feature: classifiers expect all or none.
        todo = [m for m in messages if isinstance(m.get(TEXT), str)]
        if not todo:
            return messages
        unique = sorted({m.get(TEXT) for m in todo})
        vectors = dict(zip(unique, self.embed(unique), strict=True))
        for message in todo:
            sentence = vectors[message.get(TEXT)][None, :]
            message.add_features(Features(sentence, FEATURE_TYPE_SENTENCE, TEXT, self._identifier))
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
