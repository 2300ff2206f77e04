"""Calibrate the answer decision (kb_index/answer_decision.py) for the articles of one build.

Each calibration question is searched over the new build as a customer's would be; the figures
of its best hit and whether that hit is the right article are what the decision is fitted on.
"""

from __future__ import annotations

import logging

from kb_index.answer_decision import (
    FEATURES,
    FOLDS,
    OUT_OF_SCOPE,
    AnswerDecision,
    Example,
    fingerprint,
    fit,
    read_labelled,
    read_out_of_scope,
)
from kb_index.chunking import QUESTION, split_sections
from kb_index.embedding import Embedder
from kb_index.loading import Article
from kb_index.search import KBSearcher
from kb_index.settings import KBSettings
from kb_index.store import BuiltIndex

log = logging.getLogger(__name__)


def own_questions(articles: list[Article], passages: list[dict]) -> list[Example]:
    """Each article's customer questions, each to be searched without its own indexed copy; an
    article without any offers its title and section headings instead."""
    rows = {(p["article_id"], p["text"]): i for i, p in enumerate(passages) if p.get("kind") == QUESTION}
    examples: list[Example] = []
    for article in articles:
        if article.questions:
            examples += [Example(q, article.id, rows.get((article.id, q))) for q in article.questions]
        else:
            headings = dict.fromkeys([article.title] + [h for h, _ in split_sections(article.body) if h])
            examples += [Example(h, article.id) for h in headings]
    return examples


def inputs_fingerprint(recipe: dict, articles: list[Article], settings: KBSettings) -> str:
    labelled = settings.labelled_questions
    return fingerprint(
        FEATURES,
        FOLDS,
        settings.answer_keep,
        recipe,
        sorted(a.checksum for a in articles),
        labelled.read_bytes() if labelled and labelled.is_file() else b"",
        OUT_OF_SCOPE.read_bytes() if OUT_OF_SCOPE.is_file() else b"",
    )


def calibrate(
    built: BuiltIndex, articles: list[Article], settings: KBSettings, embedder: Embedder
) -> AnswerDecision | None:
    own = own_questions(articles, built.meta["passages"])
    labelled = read_labelled(settings.labelled_questions, {a.id for a in articles})
    foreign = read_out_of_scope()
    examples = own + labelled + foreign
    if not examples:
        return None
    searcher = KBSearcher.over(built, settings, embedder)
    vectors = embedder.encode([e.question for e in examples])
    rows, labels = [], []
    for example, vector in zip(examples, vectors, strict=True):
        top, features = searcher.decision_features(example.question, vector, example.leave_out)
        rows.append(features)
        # Answering with another article than the right one is a wrong answer: a negative.
        labels.append(int(example.article is not None and top == example.article))
    # Out-of-scope messages belong to no article: spread over the folds.
    groups = [e.article or e.group or f"none-{i % FOLDS}" for i, e in enumerate(examples)]
    decision = fit(
        rows,
        labels,
        groups,
        settings.answer_keep,
        {"own_questions": len(own), "labelled_questions": len(labelled), "out_of_scope": len(foreign)},
    )
    log.info("answer decision calibrated: %s", decision.fitted_on if decision else "nothing to fit on")
    return decision
