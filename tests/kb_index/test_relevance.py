"""The relevance model's training helpers (kb_index/relevance_training.py) and the answer decision
kb_index reports: what the bot would do with each hit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kb_index.build import build_index
from kb_index.relevance import passage_text
from kb_index.relevance_training import auc, calibrate
from kb_index.settings import KBSettings


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


@pytest.fixture(scope="module")
def nimbus_index(tmp_path_factory) -> Path:
    settings = KBSettings(index_dir=tmp_path_factory.mktemp("index"), _env_file=None)
    build_index(settings, progress=False)
    return settings.index_dir


def search(index: Path, question: str) -> list[dict]:
    out = subprocess.run(
        [sys.executable, "-m", "kb_index", "search", "--json", "--index", str(index), question],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.splitlines()[0])


def test_search_says_which_hits_the_bot_would_answer_with(nimbus_index: Path) -> None:
    hits = search(nimbus_index, "how do i reset my password")
    assert hits[0]["article_id"] == "reset-password" and hits[0]["answers"] is True
    threshold = KBSettings(_env_file=None).min_score
    assert all(h["answers"] == (h["score"] >= threshold) for h in hits)
