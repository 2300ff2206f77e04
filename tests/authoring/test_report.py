"""`make report` end to end on a tiny data set: the shipped pipeline cross-validated in the Rasa
environment (3 intents, 2 folds, two of them meant to be confused), a KB index of 3 articles, and
the page, the figures and the image checked against each other."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from authoring.nlu_report import confused_pairs, intent_table
from harness.stack import ROOT, base_env

TINY_NLU = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - hi
    - hello there
    - good morning
    - hey
    - hello
    - good afternoon
- intent: password_reset
  examples: |
    - i forgot my password
    - reset my password please
    - can't remember my password
    - i cant get into my account
    - my login does not work
    - help me sign in
- intent: account_locked
  examples: |
    - my account is locked
    - it says account locked after too many tries
    - locked out of my account
    - i can't get into my account!
    - my login is not working
    - help me log in
"""
ARTICLES = ("account-locked", "reset-password", "support-hours")
QUESTIONS = [
    ("my account got locked after too many tries", "account-locked"),
    ("how do I reset my password", "reset-password"),
    ("when can I talk to a person", "support-hours"),
    ("I forgot my password", "reset-password"),
]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, str]:
    tmp = tmp_path_factory.mktemp("report")
    (tmp / "nlu.yml").write_text(TINY_NLU)
    articles = tmp / "articles"
    articles.mkdir()
    for name in ARTICLES:
        shutil.copy(ROOT / f"kb/articles/{name}.md", articles)
    (tmp / "questions.tsv").write_text("".join(f"{q}\t{a}\n" for q, a in QUESTIONS))
    (tmp / "unanswerable.txt").write_text("what is the weather in paris\n")
    env = base_env()
    subprocess.run(
        [sys.executable, "-m", "kb_index", "build", "--quiet", "--source", str(articles), "--out", str(tmp / "index")],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    out = tmp / "reports"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "authoring.report",
            "--folds",
            "2",
            "--out",
            str(out),
            "--data",
            str(tmp / "nlu.yml"),
            "--kb-index",
            str(tmp / "index"),
            "--kb-questions",
            str(tmp / "questions.tsv"),
            "--kb-unanswerable",
            str(tmp / "unanswerable.txt"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out, json.loads((out / "report.json").read_text()), result.stdout


def test_the_files_are_written(report) -> None:
    out, _, _ = report
    assert sorted(p.name for p in out.iterdir()) == ["confusion.png", "index.html", "report.json"]
    png = (out / "confusion.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width > 1000 and height > 800  # nlu_eval/metrics.confusion_png: 13 x 11 inches at 110 dpi


def test_the_figures_agree_with_the_confusion_matrix(report) -> None:
    _, data, _ = report
    nlu = data["nlu"]
    matrix = nlu["confusion"]
    assert matrix["rows"] == ["account_locked", "greet", "password_reset"]
    counts = {row: dict(zip(matrix["columns"], values, strict=True)) for row, values in zip(
        matrix["rows"], matrix["counts"], strict=True)}  # fmt: skip
    assert nlu["examples"] == 18 and nlu["folds"] == 2 and nlu["intents"] == 3
    assert sum(map(sum, matrix["counts"])) == 18
    correct = sum(counts[i][i] for i in matrix["rows"])
    assert nlu["accuracy"] == round(100 * correct / 18, 2)
    assert len(nlu["misses"]) == 18 - correct
    for intent, row in nlu["per_intent"].items():
        assert row["support"] == sum(counts[intent].values()) == 6
        assert row["recall"] == round(counts[intent][intent] / 6, 3)
        predicted = sum(counts[r].get(intent, 0) for r in matrix["rows"])
        assert row["precision"] == (round(counts[intent][intent] / predicted, 3) if predicted else 0.0)
        assert row["fallback"] == counts[intent].get("nlu_fallback", 0)
    assert nlu["macro_f1"] == round(sum(r["f1"] for r in nlu["per_intent"].values()) / 3, 3)
    # The two sign-in intents share their wording on purpose: they are the confused pair.
    texts = {line[6:] for line in TINY_NLU.splitlines() if line.startswith("    - ")}
    assert nlu["confused_pairs"], "the tiny data is built to confuse password_reset and account_locked"
    for pair in nlu["confused_pairs"]:
        a, b = pair["a"], pair["b"]
        assert pair["a_as_b"] == counts[a].get(b, 0) and pair["b_as_a"] == counts[b].get(a, 0)
        assert pair["count"] == pair["a_as_b"] + pair["b_as_a"]
        assert 1 <= len(pair["examples"]) <= 3
        for example in pair["examples"]:
            assert {example["true"], example["predicted"]} == {a, b} and example["text"] in texts
    assert nlu["confused_pairs"][0]["a"] == "account_locked" and nlu["confused_pairs"][0]["b"] == "password_reset"


def test_the_kb_evaluation_is_included(report) -> None:
    _, data, _ = report
    kb = data["kb"]
    assert kb["questions"] == len(QUESTIONS) and kb["unanswerable"] == 1
    assert 0 <= kb["recall@1"] <= kb["recall@3"] <= 1 and 0 <= kb["mrr"] <= 1
    assert len(kb["misses"]) == round(len(QUESTIONS) * (1 - kb["recall@1"]))
    assert 0 <= kb["answered"] <= 1


def test_the_page_shows_the_same_figures(report) -> None:
    out, data, _ = report
    html = (out / "index.html").read_text()
    nlu = data["nlu"]
    assert '<img src="confusion.png"' in html
    assert f"{nlu['accuracy']:.1f}%" in html and f"{nlu['macro_f1']:.3f}" in html
    for intent, row in nlu["per_intent"].items():
        assert f"<td>{intent}</td>" in html and f"{row['f1']:.3f}" in html
    for example in nlu["confused_pairs"][0]["examples"]:
        assert example["text"].replace("'", "&#39;") in html
    assert f"{data['kb']['recall@1']:.3f}" in html and f"{data['kb']['mrr']:.3f}" in html


def test_the_terminal_shows_progress_and_a_one_screen_summary(report) -> None:
    _, data, stdout = report
    assert "fold 1/2" in stdout and "fold 2/2" in stdout
    summary = stdout.split("\n\n", 1)[1].strip().splitlines()
    assert len(summary) <= 24 and all(len(line) <= 120 for line in summary)
    assert summary[0].startswith("NLU: 2-fold cross-validation, 18 examples, 3 intents")
    assert "account_locked <-> password_reset" in stdout
    assert f"recall@1 {data['kb']['recall@1']:.3f}" in stdout


def test_pairs_merge_both_directions_and_leave_fallbacks_to_the_table() -> None:
    rows = [
        {"text": "a1", "intent": "a", "ranking": [("b", 0.9)]},
        {"text": "a2", "intent": "a", "ranking": [("b", 0.6)]},
        {"text": "b1", "intent": "b", "ranking": [("a", 0.7)]},
        {"text": "b2", "intent": "b", "ranking": [("a", 0.1)]},
        {"text": "c1", "intent": "c", "ranking": [("c", 0.8)]},
    ]
    finals = ["b", "b", "a", "nlu_fallback", "c"]
    [pair] = confused_pairs(rows, finals)
    assert (pair["a"], pair["b"], pair["count"], pair["a_as_b"], pair["b_as_a"]) == ("a", "b", 3, 2, 1)
    assert [e["text"] for e in pair["examples"]] == ["a1", "b1", "a2"]  # most confident mistakes first
    table = intent_table([r["intent"] for r in rows], finals)
    assert table["b"]["fallback"] == 1 and table["a"]["mistaken_for"] == [{"intent": "b", "count": 2}]
