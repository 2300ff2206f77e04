"""KB part of `make report`: `kb_index eval`'s figures on the labelled questions (recall@1/3, MRR,
the share answered above KB_MIN_SCORE, unanswerable questions that still got an article) plus the
questions whose article did not come first, which is where a writer adds `questions:` or
rewords a title."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kb_index.evaluate import calibrate, evaluate, read_questions, read_unanswerable
from kb_index.search import KBSearcher
from kb_index.settings import KBSettings, get_settings


def build(
    questions: Path,
    unanswerable: Path | None = None,
    index_dir: Path | None = None,
    settings: KBSettings | None = None,
    searcher: KBSearcher | None = None,
) -> dict[str, Any]:
    """Figures of the built index in `index_dir` (default KB_INDEX_DIR). Raises
    kb_index.search.IndexNotBuiltError when there is none."""
    settings = settings or get_settings()
    searcher = searcher or KBSearcher(settings, index_dir=index_dir)
    labelled = read_questions(questions)
    negatives = read_unanswerable(unanswerable) if unanswerable and unanswerable.exists() else None
    result = evaluate(searcher, labelled, negatives)
    scores = result.pop("_scores")
    if negatives:
        result["calibrated_threshold"] = calibrate(scores)
    misses = []
    for q in labelled:
        hits = searcher.search(q.question, top_k=3)
        if not hits or hits[0].article_id != q.article_id:
            ids = [h.article_id for h in hits]
            misses.append(
                {
                    "question": q.question,
                    "expected": q.article_id,
                    "got": ids[0] if ids else None,
                    "score": round(hits[0].score, 3) if hits else None,
                    "rank": ids.index(q.article_id) + 1 if q.article_id in ids else None,
                }
            )
    result["index"] = str(searcher.index_dir)
    result["misses"] = misses
    return result
