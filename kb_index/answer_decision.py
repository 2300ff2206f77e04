"""Does the best article answer the question? A small calibrated model over what retrieval knows.

One cosine threshold cannot tell "how do I cancel" (answered) from "does it have a dark mode"
(same product, no article says it), and a threshold tuned for one knowledge base answers nearly
everything on another. So the decision reads four figures of a hit:

- `score`: its blended retrieval score;
- `margin`: its score minus the best other article's (near-ties are where wrong articles come from);
- `kb_coverage`: the share of the question's content words that the knowledge base's own text
  uses anywhere ("founded", "watch", "dark" appear in no Nimbus article);
- `article_coverage`: the same share within the hit's article.

`kb_index build` fits a logistic regression on those figures for the articles it was given
(`calibrate`): positives are the articles' own customer questions (each searched with its own
passage left out) or, for a KB without any, its titles and section headings; a question whose
best hit is another article counts as a negative, so the model learns to hold back on near-ties.
Negatives are generic messages no help centre answers (kb_index/calibration/out_of_scope.txt),
plus the KB's own labelled questions when it ships some (a TSV of article_id, label, question).
The fitted weights live in the build's meta.json; answering costs a dot product.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from kb_index.lexical import tokenize

FEATURES = ("score", "margin", "kb_coverage", "article_coverage")
OUT_OF_SCOPE = Path(__file__).resolve().parent / "calibration/out_of_scope.txt"
# Words are compared by their first letters, a stemmer's poor cousin that needs no model:
# "refunds"/"refunded", "installing"/"installation" meet, and typos past the fifth letter pass.
STEM = 5
# A margin past this says nothing more (the only article on the topic).
MARGIN_CAP = 0.2
# Calibration folds, by article: the threshold is measured on articles a fold was not fitted on.
FOLDS = 5


def stems(text: str) -> set[str]:
    return {t[:STEM] for t in tokenize(text) if len(t) > 1}


def coverage(question: set[str], vocabulary: set[str] | frozenset[str]) -> float:
    """Share of the question's content words the vocabulary uses; 1.0 for a question without any."""
    return sum(s in vocabulary for s in question) / len(question) if question else 1.0


@dataclass(frozen=True)
class AnswerDecision:
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float
    fitted_on: dict

    def probability(self, features: Iterable[float]) -> float:
        x = (np.asarray(list(features), dtype="float64") - self.mean) / self.scale
        return float(1.0 / (1.0 + np.exp(-(x @ np.asarray(self.weights) + self.bias))))

    def as_meta(self) -> dict:
        return asdict(self) | {"features": list(FEATURES)}

    @classmethod
    def from_meta(cls, meta: dict | None) -> AnswerDecision | None:
        if not meta or meta.get("features") != list(FEATURES):
            return None
        return cls(
            tuple(meta["mean"]),
            tuple(meta["scale"]),
            tuple(meta["weights"]),
            float(meta["bias"]),
            float(meta["threshold"]),
            dict(meta.get("fitted_on") or {}),
        )


def hit_features(
    score: float, best_other: float | None, question: set[str], kb: frozenset[str], article: frozenset[str]
) -> list[float]:
    margin = MARGIN_CAP if best_other is None else min(MARGIN_CAP, score - best_other)
    return [score, margin, coverage(question, kb), coverage(question, article)]


@dataclass(frozen=True)
class Example:
    """A calibration question: `article` is the one that answers it, None when none does;
    `leave_out` is a passage row not to search (the question's own indexed copy); `group` the
    article an unanswered question is about (kept in one calibration fold with its article)."""

    question: str
    article: str | None
    leave_out: int | None = None
    group: str | None = None


def read_out_of_scope(path: Path = OUT_OF_SCOPE) -> list[Example]:
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    return [Example(line.strip(), None) for line in lines if line.strip()]


def read_labelled(path: Path | None, article_ids: set[str]) -> list[Example]:
    """A KB's own labelled questions (article_id, label = answers | not_answered, question);
    lines about articles not in this KB are skipped."""
    if path is None or not path.is_file():
        return []
    examples = []
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row.get("article_id") in article_ids and row.get("question"):
                answered = row.get("label") == "answers"
                article = row["article_id"] if answered else None
                examples.append(Example(row["question"].strip(), article, group=row["article_id"]))
    return examples


def fingerprint(*parts: object) -> str:
    """Identifies a calibration's inputs, so an unchanged KB reuses its decision."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode("utf-8"))
    return digest.hexdigest()[:16]


def _logistic(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(class_weight="balanced", C=1.0).fit((x - mean) / scale, y)
    return mean, scale, model.coef_[0], float(model.intercept_[0])


def fit(
    rows: list[list[float]], labels: list[int], groups: list[str], keep: float, fitted_on: dict
) -> AnswerDecision | None:
    """Logistic regression on standardised features, the two classes weighted alike; None when
    one class is missing (nothing to calibrate on).

    The threshold keeps answering `keep` of the questions an article answers, measured on
    articles the model was not fitted on (folds by `groups`, the article a question belongs to):
    a customer's own wording is further from the KB than its writers' questions are."""
    y = np.asarray(labels)
    if y.min(initial=1) == y.max(initial=0):
        return None
    x = np.asarray(rows, dtype="float64")
    names = sorted(set(groups))
    fold_of = {name: i % FOLDS for i, name in enumerate(names)}
    folds = np.asarray([fold_of[g] for g in groups])
    held_out = np.zeros(len(y))
    for fold in range(FOLDS):
        test = folds == fold
        train = ~test
        if not test.any() or y[train].min(initial=1) == y[train].max(initial=0):
            continue
        mean, scale, weights, bias = _logistic(x[train], y[train])
        held_out[test] = 1.0 / (1.0 + np.exp(-(((x[test] - mean) / scale) @ weights + bias)))
    threshold = float(np.quantile(held_out[y == 1], 1.0 - keep))
    mean, scale, weights, bias = _logistic(x, y)
    return AnswerDecision(
        tuple(round(float(v), 6) for v in mean),
        tuple(round(float(v), 6) for v in scale),
        tuple(round(float(v), 6) for v in weights),
        round(bias, 6),
        round(min(threshold, 0.5), 4),
        fitted_on
        | {
            "positives": int(y.sum()),
            "negatives": int(len(y) - y.sum()),
            "held_out_positives_answered": round(float((held_out[y == 1] >= min(threshold, 0.5)).mean()), 3),
            "held_out_negatives_answered": round(float((held_out[y == 0] >= min(threshold, 0.5)).mean()), 3),
        },
    )
