"""How the shipped NLU pipeline was chosen: 5-fold cross-validation of candidate pipelines on
bot/data/nlu (same folds for all). Writes bench/results/nlu_pipelines.json and prints a table.
Takes ~50 minutes on 2 cores (the DIET candidates train for minutes per fold).

    make bench-nlu-compare     # or: .venvs/rasa/bin/python -m bench.nlu.compare [--only NAME ...]
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
from pathlib import Path
from typing import Any

from nlu_eval import rasa_nlu
from nlu_eval.crossval import cross_validate
from nlu_eval.metrics import apply, entity_scores, per_intent, rates, tune_thresholds

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench/results/nlu_pipelines.json"

SPARSE = [
    {"name": "WhitespaceTokenizer"},
    {"name": "RegexFeaturizer", "case_sensitive": False},
    {"name": "CountVectorsFeaturizer"},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
]
MINILM = {"name": "bot.nlu.minilm_featurizer.MiniLMFeaturizer"}
# The first pipeline: sparse features and DIET (the baseline the others are compared with).
DIET = {
    "name": "DIETClassifier",
    "epochs": 60,
    "number_of_transformer_layers": 1,
    "transformer_size": 128,
    "constrain_similarities": True,
    "random_seed": 7,
}
LINEAR = {"name": "bot.nlu.linear_intent_classifier.LinearIntentClassifier", "C": 10}
ENTITIES = [
    {"name": "CRFEntityExtractor"},
    {"name": "RegexEntityExtractor", "use_lookup_tables": False, "use_regexes": True, "case_sensitive": False},
    {"name": "bot.nlu.entity_merger.EntityMerger"},
]
SYNONYMS = {"name": "EntitySynonymMapper"}
ON_REQUEST = {"sparse + DIET 2x256"}
LEXICAL = {"name": "LexicalSyntacticFeaturizer"}


def candidates() -> dict[str, list[dict[str, Any]]]:
    shipped = [p for p in rasa_nlu.read_config(ROOT / "config.yml")["pipeline"] if p["name"] != "FallbackClassifier"]
    return {
        "sparse + DIET (first pipeline)": [*SPARSE[:2], LEXICAL, *SPARSE[2:], DIET, SYNONYMS],
        "sparse + MiniLM + DIET": [*SPARSE[:2], LEXICAL, *SPARSE[2:], MINILM, DIET, SYNONYMS],
        # Rasa's default DIET size (2 layers x 256); slow, run only with --only.
        "sparse + DIET 2x256": [
            *SPARSE[:2],
            LEXICAL,
            *SPARSE[2:],
            {**DIET, "number_of_transformer_layers": 2, "transformer_size": 256},
            SYNONYMS,
        ],
        "sparse + linear + CRF/regex": [*SPARSE, LINEAR, *ENTITIES, SYNONYMS],
        "MiniLM + linear + CRF/regex": [SPARSE[0], SPARSE[1], MINILM, LINEAR, *ENTITIES, SYNONYMS],
        "shipped: sparse + MiniLM + linear + CRF/regex": shipped,
    }


def summary(name: str, pipeline: list[dict[str, Any]], cv: dict[str, Any]) -> dict[str, Any]:
    rows = cv["predictions"]
    truths = [r["intent"] for r in rows]
    raw = apply(rows, 0.0, 0.0)
    tuned = tune_thresholds(truths, rows)
    intents = per_intent(truths, raw)
    return {
        "name": name,
        "pipeline": [p["name"] for p in pipeline],
        "train_seconds_per_fold": round(statistics.mean(cv["train_seconds"]), 1),
        "without_thresholds": rates(truths, raw),
        "macro_f1": round(sum(v["f1"] for v in intents.values()) / len(intents), 3),
        "tuned_thresholds": {k: tuned[k] for k in ("threshold", "ambiguity_threshold")},
        "at_tuned_thresholds": tuned["at_choice"],
        "entity_f1": entity_scores(rows)["micro"]["f1"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    rasa_nlu.quiet()
    data = rasa_nlu.load_training_data(ROOT / "bot/data/nlu")
    # A full run starts afresh; --only adds to (or replaces in) the existing results.
    previous = json.loads(OUT.read_text()).get("pipelines", []) if OUT.exists() and args.only else []
    results = {r["name"]: r for r in previous}
    for name, pipeline in candidates().items():
        if (args.only and name not in args.only) or (not args.only and name in ON_REQUEST):
            continue
        print(f"==> {name}", flush=True)
        config = {"pipeline": copy.deepcopy(pipeline), "language": "en"}
        cv = cross_validate(config, data, args.folds)
        results[name] = {**summary(name, pipeline, cv), "examples": len(data.intent_examples)}
    note = f"{args.folds}-fold stratified CV (seed 0) on bot/data/nlu, the same folds for every pipeline"
    OUT.write_text(json.dumps({"note": note, "pipelines": list(results.values())}, indent=1) + "\n")
    print(
        f"\n{'pipeline (CV, no thresholds)':48} {'in-scope':>8} {'oos':>6} {'macroF1':>8} {'ent F1':>7} {'s/fold':>7}"
    )
    for r in results.values():
        w = r["without_thresholds"]
        print(
            f"{r['name']:48} {w['in_scope_accuracy']:>8.1f} {w['oos_recall']:>6.1f} {r['macro_f1']:>8.3f} "
            f"{r['entity_f1']:>7.3f} {r['train_seconds_per_fold']:>7.0f}"
        )


if __name__ == "__main__":
    main()
