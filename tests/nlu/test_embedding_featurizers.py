"""The MiniLM dense featurizer (bot/nlu/minilm_featurizer.py) inside the Rasa environment: one
384-float sentence vector per message, the same vector whether a message is featurized alone or
in a batch and on every run, no network, and the same vector the KB's ONNX embedder computes."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

from tests.stack import RASA_PY, ROOT, base_env

TEXTS = [
    "my wifi keeps dropping every evening",
    "hi",
    "i forgot my password and the reset mail never arrives, can you help me please?",
    "NIM-123456",
    "",
]


@pytest.fixture(scope="module")
def check() -> dict:
    result = subprocess.run(
        [str(RASA_PY), "-m", "tests.nlu.featurizer_check"],
        input=json.dumps(TEXTS),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=base_env(),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_one_normalised_sentence_vector_per_message(check: dict) -> None:
    assert check["shapes"] == [[1, 384]] * len(TEXTS)
    assert check["dtype"] == "float32"
    assert np.allclose(check["norms"], 1.0, atol=1e-3)
    assert check["empty_text_has_features"]


def test_vectors_are_deterministic(check: dict) -> None:
    # Training featurizes in batches, the server one message at a time: the vectors must agree.
    assert check["max_diff_batch_vs_single"] < 1e-5
    assert check["max_diff_repeat"] == 0.0


def test_same_vectors_as_the_kb_embedder(check: dict, embedder) -> None:
    """Ran with every socket connection failing (no model hub, no registry); the vectors match the
    KB's int8 ONNX embedder in the app environment, i.e. the same model and pooling."""
    ours = np.array(check["vectors"][:-1], dtype=np.float32)
    kb = embedder.encode(TEXTS[:-1])
    assert np.allclose((ours * kb).sum(axis=1), 1.0, atol=1e-3)
