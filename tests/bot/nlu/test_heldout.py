"""NLU regression on the held-out files bench/data/nlu_heldout/ (never trained on): the test model
(harness/stack.py: the shipped config with fewer epochs, cached by fingerprint) must stay within 2
points of the figures recorded in tests/bot/nlu/heldout_baseline.json.

After an intended change (more data, another pipeline) that moves the figures, record the new
baseline from a real run:  TIER0_NLU_BASELINE=record .venvs/app/bin/python -m pytest tests/bot/nlu
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from bench.nlu.heldout import read_examples
from harness.stack import RASA_PY, ROOT, base_env, trained_test_model
from nlu_eval.metrics import DEFINITIONS, per_intent, rates

BASELINE = Path(__file__).with_name("heldout_baseline.json")
TOLERANCE = 2.0  # percentage points


def parse(texts: list[str], *flags: str):  # noqa: ANN201 - the JSON tests/bot/nlu/parse_messages.py prints
    """Parse with the test model in the Rasa environment (tests/bot/nlu/parse_messages.py)."""
    result = subprocess.run(
        [str(RASA_PY), "-m", "tests.bot.nlu.parse_messages", str(trained_test_model()), *flags],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=base_env(),
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def figures() -> dict:
    rows = read_examples()
    predictions = parse([text for text, _ in rows])
    truths = [intent for _, intent in rows]
    finals = [p["predicted"] for p in predictions]
    figures = rates(truths, finals)
    if os.environ.get("TIER0_NLU_BASELINE") == "record":
        record = {
            "recorded_with": "harness/stack.py test model (config.yml with TEST_EPOCHS), bench/data/nlu_heldout/",
            "definitions": {k: DEFINITIONS[k] for k in ("in_scope_accuracy", "oos_recall", "wrong_handover")},
            **{k: figures[k] for k in ("in_scope_accuracy", "oos_recall", "wrong_handover", "n_in_scope", "n_oos")},
            "per_intent_f1": {k: v["f1"] for k, v in per_intent(truths, finals).items()},
        }
        BASELINE.write_text(json.dumps(record, indent=1) + "\n")
    return figures


def test_batched_parsing_equals_the_server_path() -> None:
    """The held-out test (and bench-nlu) parse in batches through the NLU graph; the server parses
    one message at a time through Agent.parse_message. Both must give the same intents, confidences
    and entities."""
    both = parse([text for text, _ in read_examples()][::12], "--one-by-one")
    for batched, single in zip(both["batched"], both["one_by_one"], strict=True):
        assert batched["predicted"] == single["predicted"]
        assert batched["entities"] == single["entities"]
        assert [n for n, _ in batched["ranking"]] == [n for n, _ in single["ranking"]]
        assert all(abs(a - b) < 1e-6 for (_, a), (_, b) in zip(batched["ranking"], single["ranking"], strict=True))


def baseline() -> dict:
    return json.loads(BASELINE.read_text())


def test_every_heldout_message_is_parsed(figures: dict) -> None:
    assert figures["n_in_scope"] + figures["n_oos"] == len(read_examples())
    assert figures["n_oos"] > 0


def test_in_scope_accuracy_does_not_drop(figures: dict) -> None:
    assert figures["in_scope_accuracy"] >= baseline()["in_scope_accuracy"] - TOLERANCE, figures


def test_out_of_scope_recall_does_not_drop(figures: dict) -> None:
    assert figures["oos_recall"] >= baseline()["oos_recall"] - TOLERANCE, figures


def test_wrong_handovers_do_not_rise(figures: dict) -> None:
    assert figures["wrong_handover"] <= baseline()["wrong_handover"] + TOLERANCE, figures
