"""The lexical half of hybrid search: BM25 over the same passages the dense index holds.

Dense embeddings are strong on paraphrases but blur exact tokens (error codes, key names, ports);
BM25 catches those. Tokens keep inner dashes, dots and underscores so "E1004", "0x80070005" and
"NIM-123456" stay whole. bm25s keeps the scores in a sparse matrix: scoring 100k passages takes
well under a millisecond, where a per-document loop took about a hundred.
"""

from __future__ import annotations

import re
from functools import lru_cache

import bm25s
import numpy as np

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
        self._size = len(passages)
        # Lucene's BM25 (k1 1.5, b 0.75): its idf stays positive for a token most passages share,
        # which plain Robertson idf turns negative on a small KB. An empty passage keeps its row.
        self._bm25 = bm25s.BM25(method="lucene")
        self._bm25.index([tokenize(p) or ["_"] for p in passages], show_progress=False)
        self._vocab = self._bm25.vocab_dict

    def scores(self, query: str) -> np.ndarray:
        """BM25 scores of every passage scaled to 0..1 by the best one (all 0 when nothing matches)."""
        tokens = [t for t in tokenize(query) if t in self._vocab]
        if not tokens or self._size == 0:
            return np.zeros(self._size, dtype="float32")
        raw = np.asarray(self._bm25.get_scores(tokens), dtype="float32")
        top = float(raw.max())
        return raw / top if top > 0 else np.zeros_like(raw)
