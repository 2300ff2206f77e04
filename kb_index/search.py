"""Query the built index; picks up a rebuilt index without a restart."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from pathlib import Path

from kb_index.embedding import Embedder
from kb_index.settings import KBSettings
from kb_index.store import BuiltIndex, current_build, read_build


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

    def as_dict(self) -> dict:
        return {
            "article_id": self.article_id,
            "title": self.title,
            "url": self.url,
            "score": round(self.score, 4),
            "passage": self.passage,
        }


class KBSearcher:
    """Thread-safe searcher. Each query checks where `current` points and reloads on change."""

    def __init__(self, settings: KBSettings, index_dir: Path | None = None, embedder: Embedder | None = None):
        self.settings = settings
        self.index_dir = index_dir or settings.index_dir
        self.embedder = embedder or Embedder(settings.embedding_model)
        self._loaded: BuiltIndex | None = None
        self._lock = threading.Lock()

    def _index(self) -> BuiltIndex:
        build = current_build(self.index_dir)
        if build is None:
            raise IndexNotBuiltError(f"no KB index in {self.index_dir}; run `python -m kb_index build`")
        with self._lock:
            if self._loaded is None or self._loaded.path != build:
                self._loaded = read_build(build)
            return self._loaded

    @property
    def build_path(self) -> Path:
        return self._index().path

    def warm_up(self) -> None:
        """Load the model and the index so the first customer does not wait for them."""
        self.embedder.encode(["warm up"])
        with contextlib.suppress(IndexNotBuiltError):
            self._index()

    def search(self, question: str, top_k: int | None = None) -> list[Hit]:
        """Best passage per article, best article first."""
        top_k = top_k or self.settings.top_k
        built = self._index()
        query = self.embedder.encode([question])
        # Ask for more passages than articles: several passages may come from one article.
        n = min(built.index.ntotal, max(top_k * 8, 20))
        scores, rows = built.index.search(query, n)
        articles = {a["id"]: a for a in built.meta["articles"]}
        hits: list[Hit] = []
        seen: set[str] = set()
        for score, row in zip(scores[0], rows[0], strict=False):
            if row < 0:
                continue
            passage = built.meta["passages"][row]
            article_id = passage["article_id"]
            if article_id in seen:
                continue
            seen.add(article_id)
            art = articles[article_id]
            hits.append(Hit(article_id, art["title"], art["url"], float(score), passage["text"], passage["section"]))
            if len(hits) == top_k:
                break
        return hits
