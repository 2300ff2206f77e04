"""The sentence-embedding featurizers (bot/nlu/minilm_featurizer.py, bot/nlu/mpnet_featurizer.py)
inside the Rasa environment: one normalised sentence vector per message, the same vector whether a
message is featurized alone or in a batch and on every run, no network; MiniLM gives the vector
the KB's ONNX embedder computes, MPNet puts paraphrases closer than unrelated messages."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

from harness.stack import RASA_PY, ROOT, base_env

TEXTS = [
    "my wifi keeps dropping every evening",
    "hi",
    "i forgot my password and the reset mail never arrives, can you help me please?",
    "NIM-123456",
    "the wireless connection cuts out every night",
    "",
]
DIMENSIONS = {"minilm": 384, "mpnet": 768}


def run_check(which: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(RASA_PY), "-m", "tests.bot.nlu.featurizer_check", which],
        input=json.dumps(TEXTS),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env or base_env(),
        timeout=300,
    )


@pytest.fixture(scope="module")
def checks() -> dict[str, dict]:
    out = {}
    for which in DIMENSIONS:
        result = run_check(which)
        assert result.returncode == 0, result.stderr[-3000:]
        out[which] = {"which": which, **json.loads(result.stdout)}
    return out


@pytest.fixture(params=sorted(DIMENSIONS))
def check(request: pytest.FixtureRequest, checks: dict[str, dict]) -> dict:
    return checks[request.param]


def test_one_normalised_sentence_vector_per_message(check: dict) -> None:
    assert check["shapes"] == [[1, DIMENSIONS[check["which"]]]] * len(TEXTS)
    assert check["dtype"] == "float32"
    assert np.allclose(check["norms"], 1.0, atol=1e-3)
    assert check["empty_text_has_features"]


def test_vectors_are_deterministic(check: dict) -> None:
    # Training featurizes in batches, the server one message at a time: the vectors must agree.
    assert check["max_diff_batch_vs_single"] < 1e-5
    assert check["max_diff_repeat"] == 0.0


def test_paraphrases_are_closer_than_unrelated_messages(check: dict) -> None:
    vectors = np.array(check["vectors"], dtype=np.float32)
    wifi, other_wifi, password = vectors[0], vectors[4], vectors[2]
    assert float(wifi @ other_wifi) > float(wifi @ password) + 0.2


def test_minilm_gives_the_kb_embedders_vectors(checks: dict[str, dict], embedder) -> None:
    """Ran with every socket connection failing (no model hub, no registry); the vectors match the
    KB's int8 ONNX embedder in the app environment, i.e. the same model and pooling."""
    ours = np.array(checks["minilm"]["vectors"][:-1], dtype=np.float32)
    kb = embedder.encode(TEXTS[:-1])
    assert np.allclose((ours * kb).sum(axis=1), 1.0, atol=1e-3)


def test_missing_mpnet_export_names_the_fix(tmp_path) -> None:
    result = run_check("mpnet", {**base_env(), "NLU_MPNET_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "run `make setup`" in result.stderr and str(tmp_path) in result.stderr
