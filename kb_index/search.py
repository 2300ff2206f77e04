"""Query the built index: dense (FAISS) blended with lexical (BM25); picks up a rebuilt index
without a restart."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kb_index.answer_decision import AnswerDecision, hit_features, stems
from kb_index.chunking import TEXT
from kb_index.embedding import Embedder, make_embedder
from kb_index.lexical import LexicalIndex
from kb_index.settings import KBSettings
from kb_index.store import BuiltIndex, current_build, read_build

CANDIDATES = 50  # passages taken from each retriever before blending


class IndexNotBuiltError(RuntimeError):
    pass


@dataclass(frozen=True)
class Hit:
    article_id: str
    title: str
    url: str
    score: float
    passage: str
    section: str = ""
    # Whether the bot would answer with this hit: the build's calibrated answer decision
    # (kb_index/answer_decision.py), or its score clears KB_MIN_SCORE on a build without one.
    answers: bool = False
    # The decision's probability that this article answers the question (None without a decision).
    confidence: float | None = None
    # Not sure to answer, but close enough to point to as the nearest article, said as such.
    related: bool = False
    # The task the assistant can do when the article is not enough (the article's `task:`), or "".
    task: str = ""

    def as_dict(self) -> dict:
        return {
            "article_id": self.article_id,
            "title": self.title,
            "url": self.url,
            "score": round(self.score, 4),
            "answers": self.answers,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "related": self.related,
            "passage": self.passage,
            "task": self.task,
        }


@dataclass
class _Loaded:
    built: BuiltIndex
    lexical: LexicalIndex
    articles: dict[str, dict]
    # Per article, the first passage of its text (the summary): what the bot quotes when the
    # article was found through one of its customer questions.
    summary_rows: dict[str, int]
    # Word stems of the KB's article text, overall and per article (the decision's coverage).
    kb_vocabulary: frozenset[str]
    article_vocabulary: dict[str, frozenset[str]]
    decision: AnswerDecision | None

    @classmethod
    def of(cls, built: BuiltIndex) -> _Loaded:
        articles = {a["id"]: a for a in built.meta["articles"]}
        texts = [f"{articles[p['article_id']]['title']} {p['section']} {p['text']}" for p in built.meta["passages"]]
        summary_rows: dict[str, int] = {}
        words: dict[str, set[str]] = {a: stems(articles[a]["title"]) for a in articles}
        for row, p in enumerate(built.meta["passages"]):
            if p.get("kind", TEXT) == TEXT:
                summary_rows.setdefault(p["article_id"], row)
                # Customer questions stay out: the decision asks what the articles say.
                words[p["article_id"]] |= stems(texts[row])
        return cls(
            built,
            LexicalIndex(texts),
            articles,
            summary_rows,
            frozenset().union(*words.values()),
            {a: frozenset(w) for a, w in words.items()},
            AnswerDecision.from_meta(built.meta.get("answer_decision")),
        )


class KBSearcher:
    """Thread-safe searcher. Each query checks where `current` points and reloads on change."""

    def __init__(self, settings: KBSettings, index_dir: Path | None = None, embedder: Embedder | None = None):
        self.settings = settings
        self.index_dir = index_dir or settings.index_dir
        self.embedder = embedder or make_embedder(settings.embedding_model)
        self._loaded: _Loaded | None = None
        self._pinned = False
        self._lock = threading.Lock()

    @classmethod
    def over(cls, built: BuiltIndex, settings: KBSettings, embedder: Embedder) -> KBSearcher:
        """A searcher over a build held in memory (not yet written), as `kb_index build` calibrates it."""
        searcher = cls(settings, embedder=embedder)
        searcher._loaded, searcher._pinned = _Loaded.of(built), True
        return searcher

    def _index(self) -> _Loaded:
        if self._pinned and self._loaded is not None:
            return self._loaded
        build = current_build(self.index_dir)
        if build is None:
            raise IndexNotBuiltError(f"no KB index in {self.index_dir}; run `python -m kb_index build`")
        with self._lock:
            if self._loaded is None or self._loaded.built.path != build:
                built = read_build(build)
                model = built.meta["recipe"]["model"]
                if model != self.embedder.model_name:
                    raise IndexNotBuiltError(
                        f"the index in {self.index_dir} was built with '{model}' but the searcher uses "
                        f"'{self.embedder.model_name}'; rebuild it with `python -m kb_index build`"
                    )
                self._loaded = _Loaded.of(built)
            return self._loaded

    @property
    def build_path(self) -> Path:
        return self._index().built.path

    def warm_up(self) -> None:
        """Load the model and the index so the first customer does not wait for them."""
        self.embedder.encode(["warm up"])
        with contextlib.suppress(IndexNotBuiltError):
            self._index()

    def _passage_scores(
        self,
        loaded: _Loaded,
        question: str,
        weight: float,
        query: np.ndarray | None = None,
        leave_out: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(rows, blended scores) of the candidate passages of one loaded build, unsorted.
        `query` is the question's vector when already encoded; `leave_out` a row not to return."""
        query = self.embedder.encode([question]) if query is None else query.reshape(1, -1)
        n = min(loaded.built.index.ntotal, CANDIDATES)
        rows: set[int] = set()
        if weight < 1.0:
            _, dense_rows = loaded.built.index.search(query, n)
            rows.update(int(r) for r in dense_rows[0] if r >= 0)
        lexical = loaded.lexical.scores(question) if weight > 0.0 else None
        if lexical is not None:
            # argpartition, not argsort: at 100k passages a full sort alone costs ~5 ms.
            best = np.argpartition(-lexical, n - 1)[:n] if lexical.size > n else np.arange(lexical.size)
            rows.update(int(r) for r in best if lexical[r] > 0)
        rows.discard(leave_out)
        ordered = np.fromiter(sorted(rows), dtype=np.int64)
        if ordered.size == 0:
            return ordered, np.zeros(0, dtype="float32")
        # Exact cosine from the stored vectors, so an approximate index only chooses candidates.
        dense = loaded.built.vectors[ordered] @ query[0]
        blended = (1.0 - weight) * dense
        if lexical is not None:
            # BM25 (0..1) is scaled to the spread of the candidates' cosines: ranking as a blend of
            # min-max normalised scores, while the score stays on the cosine scale the threshold
            # is calibrated on. On StackFAQ the plain sum let BM25 outvote dense on near-ties.
            spread = float(dense.max() - dense.min()) if dense.size > 1 else 1.0
            blended = blended + weight * spread * lexical[ordered]
        return ordered, blended.astype("float32")

    def search(
        self,
        question: str,
        top_k: int | None = None,
        lexical_weight: float | None = None,
        query: np.ndarray | None = None,
        leave_out: int | None = None,
    ) -> list[Hit]:
        """Best passage per article, best article first, each with the answer decision."""
        top_k = top_k or self.settings.top_k
        weight = self.settings.lexical_weight if lexical_weight is None else lexical_weight
        # One build for the whole query: rows and metadata must come from the same index even if
        # a rebuild swaps `current` meanwhile.
        loaded = self._index()
        rows, scores = self._passage_scores(loaded, question, weight, query, leave_out)
        passages = loaded.built.meta["passages"]
        best: dict[str, float] = {}  # article -> its best score (any passage kind)
        quoted: dict[str, int] = {}  # article -> its best text passage among the candidates
        for i in np.argsort(-scores):
            passage = passages[rows[i]]
            article_id = passage["article_id"]
            best.setdefault(article_id, float(scores[i]))
            if passage.get("kind", TEXT) == TEXT:
                quoted.setdefault(article_id, int(rows[i]))
        ranked = sorted(best.items(), key=lambda item: -item[1])
        words = stems(question)
        hits: list[Hit] = []
        for i, (article_id, score) in enumerate(ranked[:top_k]):
            passage = passages[quoted.get(article_id, loaded.summary_rows.get(article_id, -1))]
            art = loaded.articles[article_id]
            confidence = None
            if loaded.decision is None:
                answers = score >= self.settings.min_score
            else:
                others = [s for j, (_, s) in enumerate(ranked[:2]) if j != i]
                features = self.features(loaded, words, article_id, score, others[0] if others else None)
                confidence = loaded.decision.probability(features)
                answers = confidence >= loaded.decision.threshold
            related = not answers and score >= self.settings.min_score
            hits.append(
                Hit(
                    article_id,
                    art["title"],
                    art["url"],
                    score,
                    passage["text"],
                    passage["section"],
                    answers,
                    confidence,
                    related,
                    art.get("task") or "",
                )
            )
        return hits

    @staticmethod
    def features(
        loaded: _Loaded, words: set[str], article_id: str, score: float, best_other: float | None
    ) -> list[float]:
        return hit_features(
            score, best_other, words, loaded.kb_vocabulary, loaded.article_vocabulary.get(article_id, frozenset())
        )

    def decision_features(
        self, example_question: str, query: np.ndarray, leave_out: int | None
    ) -> tuple[str | None, list[float]]:
        """The best article for a question and its decision features (what calibration fits on)."""
        loaded = self._index()
        hits = self.search(example_question, 2, query=query, leave_out=leave_out)
        if not hits:
            return None, [0.0, 0.0, 0.0, 0.0]
        other = hits[1].score if len(hits) > 1 else None
        return hits[0].article_id, self.features(
            loaded, stems(example_question), hits[0].article_id, hits[0].score, other
        )
