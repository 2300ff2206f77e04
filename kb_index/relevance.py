"""Does this passage answer this question? A cross-encoder that reads both together.

The retriever (kb_index/search.py) compares a question's vector with each passage's vector: it
finds passages on the question's topic, but cannot tell "how do I cancel" (answered) from "can I
pause instead of cancelling" (same topic, not answered). This model reads question and passage as
one input ([CLS] question [SEP] passage [SEP]) and gives the probability that the passage answers
the question. It is all-MiniLM-L6-v2's encoder with a one-logit head, fine-tuned by
`python -m kb_index.relevance_training` (`make train-reranker`) into kb_index/models/relevance/ as
int8 ONNX with its figures (metrics.json): no torch and no model hub at run time. The bot does not
use it yet (docs/knowledge-base.md has its figures); `make bench-kb` compares it.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import numpy as np

from common.onnx_encoder import minilm_files

MODEL_DIR = Path(__file__).resolve().parent / "models/relevance"
MODEL_FILE = "model.onnx"
CARD_FILE = "metrics.json"
# Question and passage together; the passage is cut to fit (its first part carries the title
# and section heading, which matter most).
MAX_TOKENS = 160


def passage_text(title: str, section: str, text: str) -> str:
    """What the model reads of a passage: its article's title, its heading, its text."""
    return ". ".join(part for part in (title, section, text) if part)


class ModelMissingError(RuntimeError):
    pass


class RelevanceModel:
    """Loads on first use (a forking server must not hold an ONNX session before it forks)."""

    def __init__(self, model_dir: Path = MODEL_DIR, threads: int | None = None) -> None:
        self.model_dir = Path(model_dir)
        self.threads = threads or int(os.environ.get("OMP_NUM_THREADS", "1") or 1)
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()

    @property
    def card(self) -> dict:
        """Training figures and the answer threshold calibrated on held-out articles."""
        path = self.model_dir / CARD_FILE
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}

    def _load(self) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        onnx_path = self.model_dir / MODEL_FILE
        if not onnx_path.is_file():
            raise ModelMissingError(f"no relevance model in {self.model_dir}: run `make train-reranker`")
        tokenizer = Tokenizer.from_file(str(minilm_files()[1]))
        tokenizer.enable_truncation(MAX_TOKENS, strategy="only_second")
        tokenizer.enable_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self._tokenizer = tokenizer

    def scores(self, question: str, passages: list[str]) -> np.ndarray:
        """Probability (0..1) that each passage answers the question."""
        if not passages:
            return np.zeros(0, dtype="float32")
        with self._lock:
            if self._session is None:
                self._load()
        encodings = self._tokenizer.encode_batch([(question, p) for p in passages])
        feeds = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        names = {i.name for i in self._session.get_inputs()}
        logits = self._session.run(None, {k: v for k, v in feeds.items() if k in names})[0].reshape(-1)
        return (1.0 / (1.0 + np.exp(-logits))).astype("float32")
