"""NLU figures from predictions: in-scope accuracy, out-of-scope recall, wrong handovers, threshold
tuning, per-intent precision/recall/F1 and the confusion-matrix image. Pure Python + numpy."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
# A prediction of these for a message that is about something else sends the customer to a person.
HANDOVER_INTENTS = frozenset({"request_human", "complain"})

DEFINITIONS = {
    "in_scope_accuracy": "share of in-scope messages (true intent is not out_of_scope) whose final intent, after "
    "the FallbackClassifier thresholds, is the true one; nlu_fallback counts as wrong",
    "oos_recall": "share of out-of-scope messages whose final intent is out_of_scope or nlu_fallback (both lead "
    "to 'this is what I can do' / a clarifying question instead of a wrong flow)",
    "wrong_handover": "share of in-scope messages whose true intent is not request_human/complain but whose final "
    "intent is nlu_fallback, out_of_scope, request_human or complain, i.e. the bot would not start the right flow "
    "and would offer a person instead (a first nlu_fallback asks a clarifying question in the dialogue, so this "
    "over-counts real handovers; two misses in a row cannot be measured on single messages)",
    "oos_by_class": "share of out-of-scope messages predicted as the out_of_scope intent itself",
}


def decide(ranking: list[tuple[str, float]], threshold: float, ambiguity: float) -> str:
    """The intent the FallbackClassifier would let through (Rasa 3.6's rule)."""
    if not ranking:
        return FALLBACK
    top = ranking[0][1]
    second = ranking[1][1] if len(ranking) > 1 else 0.0
    if top < threshold or (len(ranking) > 1 and top - second < ambiguity):
        return FALLBACK
    return ranking[0][0]


def rates(truths: list[str], finals: list[str]) -> dict[str, float]:
    in_scope = [(t, p) for t, p in zip(truths, finals, strict=True) if t != OUT_OF_SCOPE]
    oos = [p for t, p in zip(truths, finals, strict=True) if t == OUT_OF_SCOPE]
    wrong = sum(
        1 for t, p in in_scope if t not in HANDOVER_INTENTS and p in HANDOVER_INTENTS | {FALLBACK, OUT_OF_SCOPE}
    )
    return {
        "in_scope_accuracy": _share(sum(t == p for t, p in in_scope), len(in_scope)),
        "oos_recall": _share(sum(p in (OUT_OF_SCOPE, FALLBACK) for p in oos), len(oos)),
        "wrong_handover": _share(wrong, len(in_scope)),
        "fallback_rate_in_scope": _share(sum(p == FALLBACK for _, p in in_scope), len(in_scope)),
        "oos_by_class": _share(sum(p == OUT_OF_SCOPE for p in oos), len(oos)),
        "n_in_scope": len(in_scope),
        "n_oos": len(oos),
    }


def _share(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else float("nan")


def apply(predictions: list[dict[str, Any]], threshold: float, ambiguity: float) -> list[str]:
    return [decide(p["ranking"], threshold, ambiguity) for p in predictions]


THRESHOLD_GRID = [round(0.05 * i, 2) for i in range(0, 19)]
AMBIGUITY_GRID = [0.0, 0.02, 0.05, 0.08, 0.1, 0.15, 0.2, 0.25, 0.3]


# Costs of an outcome for tuning the thresholds, in "customer turns lost": a clarifying question
# (nlu_fallback: buttons for the two most likely intents) costs 1; a wrong flow, or a wrong
# "that is not something I can help with", costs 2 (the customer has to notice and undo it).
COST_CLARIFY = 1.0
COST_WRONG = 2.0


def expected_cost(truths: list[str], finals: list[str]) -> float:
    total = 0.0
    for truth, final in zip(truths, finals, strict=True):
        if truth == OUT_OF_SCOPE:
            total += 0.0 if final in (OUT_OF_SCOPE, FALLBACK) else COST_WRONG
        elif final != truth:
            total += COST_CLARIFY if final == FALLBACK else COST_WRONG
    return total / len(truths)


def tune_thresholds(truths: list[str], predictions: list[dict[str, Any]]) -> dict[str, Any]:
    """Fallback threshold and ambiguity threshold from (cross-validation) predictions: the pair with
    the lowest expected cost (COST_CLARIFY, COST_WRONG); ties go to the higher threshold. With a
    wrong intent costing twice a clarifying question, the bot falls back exactly where its guess is
    more often wrong than right. Returns the choice and the whole grid."""
    grid = []
    for threshold in THRESHOLD_GRID:
        for ambiguity in AMBIGUITY_GRID:
            finals = apply(predictions, threshold, ambiguity)
            cost = round(expected_cost(truths, finals), 4)
            grid.append(
                {"threshold": threshold, "ambiguity_threshold": ambiguity, "cost": cost, **rates(truths, finals)}
            )
    # Ties (the same cost on our data) go to the higher threshold: it costs nothing measured and
    # catches the messages the classifier knows least about (gibberish, other languages).
    best = min(grid, key=lambda g: (g["cost"], -g["threshold"], g["ambiguity_threshold"]))
    return {
        "rule": f"lowest expected cost: clarifying question {COST_CLARIFY}, wrong intent {COST_WRONG}",
        "threshold": best["threshold"],
        "ambiguity_threshold": best["ambiguity_threshold"],
        "at_choice": {k: v for k, v in best.items() if k not in ("threshold", "ambiguity_threshold")},
        "grid": grid,
    }


def per_intent(truths: list[str], finals: list[str]) -> dict[str, dict[str, float]]:
    labels = sorted(set(truths))
    tp = Counter(t for t, p in zip(truths, finals, strict=True) if t == p)
    predicted = Counter(finals)
    support = Counter(truths)
    report = {}
    for label in labels:
        precision = tp[label] / predicted[label] if predicted[label] else 0.0
        recall = tp[label] / support[label] if support[label] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        report[label] = {
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "f1": round(f1, 3),
            "support": support[label],
        }
    return report


def confusions(truths: list[str], finals: list[str], top: int = 15) -> list[dict[str, Any]]:
    pairs = Counter((t, p) for t, p in zip(truths, finals, strict=True) if t != p)
    return [{"true": t, "predicted": p, "count": n} for (t, p), n in pairs.most_common(top)]


def confusion_matrix(truths: list[str], finals: list[str]) -> tuple[list[str], list[str], list[list[int]]]:
    """(row labels = true intents, column labels = those plus nlu_fallback when predicted, counts):
    what `confusion_png` draws, also for reports that print the numbers."""
    labels = sorted(set(truths))
    columns = labels + ([FALLBACK] if FALLBACK in finals else [])
    index = {label: i for i, label in enumerate(columns)}
    matrix = [[0] * len(columns) for _ in labels]
    for t, p in zip(truths, finals, strict=True):
        matrix[index[t]][index.get(p, index.get(FALLBACK, 0))] += 1
    return labels, columns, matrix


def confusion_png(truths: list[str], finals: list[str], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    labels, columns, counts = confusion_matrix(truths, finals)
    matrix = np.array(counts, dtype=int).reshape(len(labels), len(columns))
    normalised = matrix / matrix.sum(axis=1, keepdims=True).clip(1)
    fig, ax = plt.subplots(figsize=(13, 11))
    ax.imshow(normalised, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(columns)), columns, rotation=90, fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel("predicted (after fallback thresholds)")
    ax.set_ylabel("true intent")
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            if matrix[i, j]:
                ax.text(
                    j,
                    i,
                    str(matrix[i, j]),
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if normalised[i, j] > 0.5 else "black",
                )
    ax.set_title(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def entity_scores(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Precision/recall/F1 of (entity, normalised value) pairs per message, by entity and overall."""
    tp: Counter = Counter()
    fp: Counter = Counter()
    fn: Counter = Counter()
    for row in rows:
        truth = Counter((e["entity"], str(e["value"]).lower()) for e in row.get("truth_entities", []))
        found = Counter((e["entity"], str(e["value"]).lower()) for e in row.get("entities", []))
        for key in truth | found:
            hit = min(truth[key], found[key])
            tp[key[0]] += hit
            fp[key[0]] += found[key] - hit
            fn[key[0]] += truth[key] - hit

    def score(t: int, p: int, n: int) -> dict[str, float]:
        precision = t / (t + p) if t + p else 0.0
        recall = t / (t + n) if t + n else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3), "support": t + n}

    by_entity = {name: score(tp[name], fp[name], fn[name]) for name in sorted(set(tp) | set(fp) | set(fn))}
    return {"micro": score(sum(tp.values()), sum(fp.values()), sum(fn.values())), "by_entity": by_entity}
