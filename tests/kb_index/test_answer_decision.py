"""The answer decision kb_index calibrates per knowledge base (kb_index/answer_decision.py) and
reports with every hit: whether the bot answers with it, or only names it as the nearest article."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kb_index.answer_decision import FEATURES, AnswerDecision, coverage, fit, stems
from kb_index.build import build_index
from kb_index.search import KBSearcher
from kb_index.settings import KBSettings
from kb_index.store import current_build, read_build
from tests.kb_index.test_index import write


def test_words_meet_by_their_stem_and_coverage_counts_content_words() -> None:
    assert stems("Refunds refunded REFUND") == {"refun"}
    assert "the" not in stems("the installation")  # stop words carry no topic
    kb = stems("How to request a refund for an annual plan")
    assert coverage(stems("can i get a refund on my annual plan"), kb) == 1.0
    assert coverage(stems("does it have a dark mode"), kb) == 0.0
    assert coverage(set(), kb) == 1.0  # nothing to check


def test_the_threshold_keeps_the_asked_share_of_answerable_questions_on_held_out_articles() -> None:
    rng = np.random.default_rng(3)
    positives = rng.normal([0.7, 0.1, 0.9, 0.8], 0.15, size=(300, 4))
    negatives = rng.normal([0.35, 0.02, 0.5, 0.3], 0.15, size=(300, 4))
    rows = np.vstack([positives, negatives]).tolist()
    labels = [1] * 300 + [0] * 300
    groups = [f"article-{i % 30}" for i in range(600)]
    decision = fit(rows, labels, groups, keep=0.95, fitted_on={})
    assert decision is not None
    assert decision.fitted_on["held_out_positives_answered"] >= 0.93
    assert decision.fitted_on["held_out_negatives_answered"] < 0.2
    answered = [decision.probability(r) >= decision.threshold for r in rows]
    assert sum(answered[:300]) > 0.9 * 300 and sum(answered[300:]) < 0.2 * 300
    assert fit(rows[:10], [1] * 10, groups[:10], 0.95, {}) is None  # one kind only: nothing to learn


def test_the_decision_travels_in_the_build_and_an_older_one_is_not_misread() -> None:
    decision = AnswerDecision((0.5,) * 4, (0.1,) * 4, (1.0, 0.5, -0.2, 1.5), -0.3, 0.42, {"positives": 3})
    assert AnswerDecision.from_meta(json.loads(json.dumps(decision.as_meta()))) == decision
    assert AnswerDecision.from_meta(decision.as_meta() | {"features": ["score"]}) is None
    assert AnswerDecision.from_meta(None) is None
    assert list(FEATURES) == decision.as_meta()["features"]


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


def test_the_demo_kb_answers_how_to_questions_and_turns_away_the_rest(nimbus_index: Path) -> None:
    decision = read_build(current_build(nimbus_index)).meta["answer_decision"]
    assert decision["fitted_on"]["own_questions"] > 0 and decision["fitted_on"]["out_of_scope"] > 100
    for question, article in {
        "how do i reset my password": "reset-password",
        "my printer says offline and wont print": "printer-offline",
    }.items():
        hits = search(nimbus_index, question)
        assert hits[0]["article_id"] == article and hits[0]["answers"] is True, hits[0]
    for question in ("what's the weather like in paris tomorrow", "who won the football last night"):
        hits = search(nimbus_index, question)
        assert not any(h["answers"] or h["related"] for h in hits), hits
    for h in search(nimbus_index, "how do i reset my password"):
        assert h["answers"] == (h["confidence"] >= decision["threshold"])
        assert not (h["answers"] and h["related"])


def test_an_unchanged_kb_keeps_its_calibration_and_a_changed_one_is_calibrated_again(tmp_path: Path, embedder) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    write(articles, "reset-password", "Reset your password", "Forgot it? Reset it.", "Click Forgot password.")
    write(articles, "printer-offline", "Printer shows offline", "Get it printing again.", "Restart the printer.")
    settings = KBSettings(source_dir=articles, index_dir=tmp_path / "index", _env_file=None)
    first = build_index(settings, embedder=embedder)["answer_decision"]
    assert first["own_questions"] > 0  # titles and headings when the articles list no questions
    assert build_index(settings, embedder=embedder)["answer_decision"] == first
    write(articles, "export-data", "Export your data", "Download everything as a zip.", "Open Settings > Export.")
    again = build_index(settings, embedder=embedder)["answer_decision"]
    assert again["inputs"] != first["inputs"]
    hit = KBSearcher(settings, embedder=embedder).search("export my data as a zip", top_k=1)[0]
    assert hit.article_id == "export-data" and hit.confidence is not None
