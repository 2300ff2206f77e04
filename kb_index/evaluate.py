"""Retrieval quality on labelled questions, and the "no good answer" threshold."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from kb_index.search import KBSearcher


@dataclass(frozen=True)
class Labelled:
    question: str
    article_id: str


def read_questions(path: Path) -> list[Labelled]:
    """question<TAB>article_id per line."""
    rows: list[Labelled] = []
    with path.open(encoding="utf-8") as f:
        for lineno, row in enumerate(csv.reader(f, delimiter="\t"), 1):
            if not row or not row[0].strip():
                continue
            if len(row) != 2:
                raise ValueError(f"{path}:{lineno}: expected question<TAB>article_id, got {len(row)} fields")
            rows.append(Labelled(row[0].strip(), row[1].strip()))
    return rows


def read_unanswerable(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate(
    searcher: KBSearcher,
    questions: list[Labelled],
    unanswerable: list[str] | None = None,
    threshold: float | None = None,
    lexical_weight: float | None = None,
) -> dict:
    threshold = searcher.settings.min_score if threshold is None else threshold
    ranks: list[int | None] = []
    top_scores: list[float] = []
    for q in questions:
        hits = searcher.search(q.question, top_k=10, lexical_weight=lexical_weight)
        ids = [h.article_id for h in hits]
        ranks.append(ids.index(q.article_id) + 1 if q.article_id in ids else None)
        top_scores.append(hits[0].score if hits else 0.0)
    n = len(questions)
    scored: dict = {"labelled": [(s, r == 1) for s, r in zip(top_scores, ranks, strict=True)]}
    if unanswerable:
        negative = [searcher.search(u, top_k=1, lexical_weight=lexical_weight) for u in unanswerable]
        scored["unanswerable"] = [h[0].score if h else 0.0 for h in negative]
    return {
        "questions": n,
        "recall@1": round(sum(r == 1 for r in ranks) / n, 4),
        "recall@3": round(sum(r is not None and r <= 3 for r in ranks) / n, 4),
        "mrr": round(sum(1 / r for r in ranks if r) / n, 4),
        "threshold": threshold,
        **({"unanswerable": len(unanswerable)} if unanswerable else {}),
        **operating_point(scored, threshold),
        "_scores": scored,
    }


def operating_point(scored: dict, threshold: float) -> dict:
    """What a threshold does: the share of labelled questions answered (and answered with the right
    article first), and the share of unanswerable ones that still get an article."""
    labelled = scored["labelled"]
    point = {
        "answered": round(sum(s >= threshold for s, _ in labelled) / len(labelled), 4),
        "answered_correctly": round(sum(s >= threshold and ok for s, ok in labelled) / len(labelled), 4),
    }
    if scored.get("unanswerable"):
        negatives = scored["unanswerable"]
        point["unanswerable_answered"] = round(sum(s >= threshold for s in negatives) / len(negatives), 4)
    return point


def calibrate(scored: dict, wrong_answer_cost: float = 1.0) -> float:
    """The threshold with the lowest cost over the labelled and unanswerable questions, where a
    refused answerable question costs 1 (a handoff the article could have saved) and an article
    given for the wrong or an unanswerable question costs `wrong_answer_cost` (a wasted turn and a
    customer who was guessed at). Ties go to the higher threshold: when in doubt, don't guess."""
    labelled = scored["labelled"]
    negatives = scored.get("unanswerable", [])
    candidates = sorted({round(s, 3) for s, _ in labelled} | {round(s, 3) for s in negatives}, reverse=True)
    best, best_cost = (candidates[0] if candidates else 0.0), float("inf")
    for t in candidates:
        refused = sum(s < t and ok for s, ok in labelled)
        guessed = sum(s >= t and not ok for s, ok in labelled) + sum(s >= t for s in negatives)
        cost = refused + wrong_answer_cost * guessed
        if cost < best_cost:
            best, best_cost = t, cost
    return best
