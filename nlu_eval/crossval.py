"""Stratified k-fold cross-validation of an NLU pipeline on our training data: every example is
predicted once by a model that did not see it (out-of-fold predictions, the classifier's own ranking).

    .venvs/rasa/bin/python -m nlu_eval.crossval --config config.yml --folds 5 --out /tmp/cv.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from nlu_eval import rasa_nlu

ROOT = Path(__file__).resolve().parents[1]
NLU_DATA = ROOT / "bot/data/nlu"


def folds(data, n: int, seed: int = 0):
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from sklearn.model_selection import StratifiedKFold

    x = data.intent_examples
    y = [m.get("intent") for m in x]
    split = StratifiedKFold(n_splits=n, shuffle=True, random_state=seed)
    for train_index, test_index in split.split(x, y):
        extras = {
            "entity_synonyms": data.entity_synonyms,
            "regex_features": data.regex_features,
            "lookup_tables": data.lookup_tables,
        }
        yield TrainingData([x[i] for i in train_index], **extras), [x[i] for i in test_index]


def cross_validate(config: dict[str, Any], data, n_folds: int = 5, seed: int = 0, log=print) -> dict[str, Any]:
    """Out-of-fold predictions for every intent example, with `config` minus its FallbackClassifier."""
    pipeline = rasa_nlu.nlu_config(config, fallback=False)
    rows: list[dict[str, Any]] = []
    train_seconds, parse_seconds = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (train_data, test) in enumerate(folds(data, n_folds, seed)):
            trained = rasa_nlu.train(pipeline, train_data, Path(tmp), name=f"fold{i}")
            started = time.perf_counter()
            parser = rasa_nlu.Parser(trained.model)
            predictions = parser.parse([m.get("text") for m in test])
            parser.close()
            parse_seconds.append(time.perf_counter() - started)
            train_seconds.append(trained.seconds)
            for message, p in zip(test, predictions, strict=True):
                truth = [{"entity": e["entity"], "value": e["value"]} for e in message.get("entities") or []]
                rows.append(
                    {
                        "text": message.get("text"),
                        "intent": message.get("intent"),
                        "truth_entities": truth,
                        "fold": i,
                        **p,
                    }
                )
            trained.model.unlink()
            log(f"  fold {i + 1}/{n_folds}: trained in {trained.seconds:.0f} s")
    return {
        "folds": n_folds,
        "seed": seed,
        "train_seconds": [round(s, 1) for s in train_seconds],
        "parse_seconds": [round(s, 1) for s in parse_seconds],
        "predictions": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default=str(ROOT / "config.yml"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    rasa_nlu.quiet()
    data = rasa_nlu.load_training_data(NLU_DATA)
    result = cross_validate(rasa_nlu.read_config(args.config), data, args.folds, args.seed)
    Path(args.out).write_text(json.dumps(result))
    from nlu_eval.metrics import apply, rates

    truths = [r["intent"] for r in result["predictions"]]
    print(
        json.dumps({"raw": rates(truths, apply(result["predictions"], 0.0, 0.0)), "train_s": result["train_seconds"]})
    )


if __name__ == "__main__":
    main()
