"""CLINC150 "Full" (Larson et al. 2019): train a pipeline on its train split with `oos` as a class,
pick a fallback threshold on its validation split, report in-scope accuracy and out-of-scope recall
on its test split. The data set is read in place (../shared/datasets/clinc150); none of its
sentences is copied into the product.

    .venvs/rasa/bin/python -m bench.nlu.clinc [--config config.yml] [--epochs N]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from nlu_eval import rasa_nlu
from nlu_eval.metrics import FALLBACK, decide

ROOT = Path(__file__).resolve().parents[2]
CLINC = ROOT.parent / "shared/datasets/clinc150/data_full.json"
OOS = "oos"
# Larson et al. 2019 (EMNLP), Table 2, "Full" data set: in-scope accuracy / out-of-scope recall, %.
PUBLISHED = [
    {"system": "BERT (oos as a class)", "in_scope_accuracy": 96.9, "oos_recall": 40.3},
    {"system": "BERT (threshold)", "in_scope_accuracy": 96.2, "oos_recall": 52.3},
    {"system": "MLP (oos as a class)", "in_scope_accuracy": 93.5, "oos_recall": 47.4},
    {"system": "Rasa 2019 (oos as a class)", "in_scope_accuracy": 91.5, "oos_recall": 45.3},
]


def load(path: Path = CLINC) -> dict[str, list[tuple[str, str]]]:
    raw = json.loads(path.read_text())
    return {split: [(text, label) for text, label in rows] for split, rows in raw.items()}


def scores(
    labels: list[str], predictions: list[dict[str, Any]], threshold: float, ambiguity: float = 0.0
) -> dict[str, float]:
    finals = [decide(p["ranking"], threshold, ambiguity) for p in predictions]
    in_scope = [(t, f) for t, f in zip(labels, finals, strict=True) if t != OOS]
    oos = [f for t, f in zip(labels, finals, strict=True) if t == OOS]
    return {
        "in_scope_accuracy": round(100 * sum(t == f for t, f in in_scope) / len(in_scope), 2),
        "oos_recall": round(100 * sum(f in (OOS, FALLBACK) for f in oos) / len(oos), 2),
    }


def pick_thresholds(labels: list[str], predictions: list[dict[str, Any]]) -> tuple[dict[str, float], list[dict]]:
    """Two thresholds from the validation split: "balanced", the best sum of in-scope accuracy and
    oos recall; "in-scope first", the highest that keeps in-scope accuracy within 0.5 point of no
    threshold at all (the trade Larson et al.'s threshold variant makes)."""
    curve = []
    for threshold in [round(0.05 * i, 2) for i in range(0, 19)]:
        curve.append({"threshold": threshold, **scores(labels, predictions, threshold)})
    balanced = max(curve, key=lambda c: (c["in_scope_accuracy"] + c["oos_recall"], -c["threshold"]))
    floor = curve[0]["in_scope_accuracy"] - 0.5
    in_scope_first = max(c["threshold"] for c in curve if c["in_scope_accuracy"] >= floor)
    return {"balanced": balanced["threshold"], "in_scope_first": in_scope_first}, curve


def run(config: dict[str, Any], epochs: int | None = None, log=print) -> dict[str, Any]:
    data = load()
    train_rows = data["train"] + data["oos_train"]
    val_rows = data["val"] + data["oos_val"]
    test_rows = data["test"] + data["oos_test"]
    pipeline = rasa_nlu.nlu_config(config, epochs=epochs, fallback=False)
    with tempfile.TemporaryDirectory() as tmp:
        trained = rasa_nlu.train(pipeline, rasa_nlu.synthetic_training_data(train_rows), Path(tmp), name="clinc")
        log(f"  CLINC150: trained on {len(train_rows)} examples in {trained.seconds:.0f} s")
        parser = rasa_nlu.Parser(trained.model)
        started = time.perf_counter()
        val = parser.parse([t for t, _ in val_rows])
        test = parser.parse([t for t, _ in test_rows])
        parse_seconds = time.perf_counter() - started
        parser.close()
    thresholds, curve = pick_thresholds([label for _, label in val_rows], val)
    test_labels = [label for _, label in test_rows]
    # The bot's own FallbackClassifier settings (config.yml, tuned on our data, never on CLINC150).
    fallback = next((p for p in config["pipeline"] if p["name"] == "FallbackClassifier"), {})
    shipped = {
        "threshold": float(fallback.get("threshold", 0.0)),
        "ambiguity": float(fallback.get("ambiguity_threshold", 0.0)),
    }
    return {
        "data": "CLINC150 Full: train 15000 + 100 oos, val 3000 + 100 oos, test 4500 + 1000 oos",
        "pipeline": [p["name"] for p in pipeline["pipeline"]],
        "train_examples": len(train_rows),
        "train_seconds": round(trained.seconds, 1),
        "parse_ms_per_message": round(1000 * parse_seconds / (len(val_rows) + len(test_rows)), 1),
        "oos_as_class": scores(test_labels, test, 0.0),
        "shipped_fallback": shipped,
        "plus_shipped_threshold": scores(test_labels, test, shipped["threshold"]),
        "plus_shipped_threshold_and_ambiguity": scores(test_labels, test, shipped["threshold"], shipped["ambiguity"]),
        "thresholds_from_val": thresholds,
        "plus_threshold_in_scope_first": scores(test_labels, test, thresholds["in_scope_first"]),
        "plus_threshold_balanced": scores(test_labels, test, thresholds["balanced"]),
        "val_curve": curve,
        "test_curve": [{"threshold": c["threshold"], **scores(test_labels, test, c["threshold"])} for c in curve],
        "published": PUBLISHED,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default=str(ROOT / "config.yml"))
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    rasa_nlu.quiet()
    result = run(rasa_nlu.read_config(args.config), args.epochs)
    text = json.dumps({k: v for k, v in result.items() if not k.endswith("curve")}, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
