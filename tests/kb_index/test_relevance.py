"""The relevance model's training helpers (kb_index/relevance_training.py)."""

from __future__ import annotations

import numpy as np

from kb_index.relevance import passage_text
from kb_index.relevance_training import auc, calibrate


def test_auc_counts_pairs_ranked_the_right_way() -> None:
    labels = np.array([1, 1, 0, 0])
    assert auc(labels, np.array([0.9, 0.8, 0.2, 0.1])) == 1.0
    assert auc(labels, np.array([0.1, 0.2, 0.8, 0.9])) == 0.0
    assert auc(labels, np.array([0.5, 0.5, 0.5, 0.5])) == 0.5


def test_the_threshold_answers_at_most_the_allowed_share_of_negatives() -> None:
    rng = np.random.default_rng(1)
    labels = np.array([1] * 200 + [0] * 200)
    scores = np.concatenate([rng.uniform(0.4, 1.0, 200), rng.uniform(0.0, 0.6, 200)])
    decision = calibrate(labels, scores, max_false=0.05)
    assert decision["answered_negatives"] <= 0.05
    assert decision["answered_positives"] > 0.5


def test_the_model_reads_title_heading_and_text() -> None:
    assert passage_text("Cancel your subscription", "Steps", "1. Open Billing.") == (
        "Cancel your subscription. Steps. 1. Open Billing."
    )
    assert passage_text("Refunds", "", "Annual plans...") == "Refunds. Annual plans..."
