"""The lexical half of hybrid search: BM25 over the same passages the dense index holds.

Dense embeddings are strong on paraphrases but blur exact tokens (error codes, key names, ports);
BM25 catches those. Tokens keep inner dashes, dots and underscores so "E1004", "0x80070005" and
"NIM-123456" stay whole.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
from rank_bm25 import BM25Okapi

TOKEN = re.compile(r"[a-z0-9]+(?:[-_.][a-z0-9]+)*")


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def tokenize(text: str) -> list[str]:
    stop = _stop_words()
    return [t for t in TOKEN.findall(text.lower()) if t not in stop]


class LexicalIndex:
    def __init__(self, passages: list[str]) -> None:
        # BM25Okapi rejects an empty corpus document list; a placeholder token keeps rows aligned.
        self._bm25 = BM25Okapi([tokenize(p) or ["_"] for p in passages])

    def scores(self, query: str) -> np.ndarray:
        """BM25 scores of every passage scaled to 0..1 by the best one (all 0 when nothing matches)."""
        tokens = tokenize(query)
        if not tokens:
            return np.zeros(self._bm25.corpus_size, dtype="float32")
        raw = np.asarray(self._bm25.get_scores(tokens), dtype="float32")
        top = float(raw.max()) if raw.size else 0.0
        return raw / top if top > 0 else np.zeros_like(raw)
