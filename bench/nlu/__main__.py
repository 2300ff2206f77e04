"""NLU benchmark of the shipped pipeline (config.yml). Writes bench/results/nlu.json and
bench/results/nlu_confusion.png and prints a table.

1. Cross-validation on our training data (bot/data/nlu): out-of-fold predictions of every example,
   per-intent precision/recall/F1 and a confusion matrix at the shipped thresholds, entity scores,
   and the fallback/ambiguity thresholds a grid search would choose on those predictions.
2. CLINC150 Full (../shared/datasets/clinc150, read in place): in-scope accuracy and out-of-scope
   recall on its test split next to Larson et al. 2019, Table 2; training time on this machine.
3. The held-out files bench/data/nlu_heldout/ (never trained or tuned on): in-scope accuracy,
   out-of-scope recall and wrong handovers of a model trained on all our data.

    make bench-nlu            # or: .venvs/rasa/bin/python -m bench.nlu [--skip-clinc] [--folds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from bench.nlu import clinc, heldout
from nlu_eval import rasa_nlu
from nlu_eval.crossval import cross_validate
from nlu_eval.metrics import (
    DEFINITIONS,
    apply,
    confusion_png,
    confusions,
    entity_scores,
    per_intent,
    rates,
    tune_thresholds,
)

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench/results"
NLU_DATA = ROOT / "bot/data/nlu"


def log(text: str) -> None:
    print(text, flush=True)


def crossval_section(config: dict, data, folds: int) -> dict:
    log(f"==> Cross-validation on bot/data/nlu ({folds} folds, {len(data.intent_examples)} examples)")
    cv = cross_validate(config, data, folds, log=log)
    rows = cv["predictions"]
    truths = [r["intent"] for r in rows]
    threshold, ambiguity = rasa_nlu.shipped_thresholds(config)
    finals = apply(rows, threshold, ambiguity)
    raw = apply(rows, 0.0, 0.0)
    tuned = tune_thresholds(truths, rows)
    png = RESULTS / "nlu_confusion.png"
    confusion_png(truths, finals, png, f"Cross-validation ({folds} folds), shipped pipeline and thresholds")
    intents = per_intent(truths, finals)
    return {
        "folds": folds,
        "examples": len(rows),
        "train_seconds_per_fold": cv["train_seconds"],
        "shipped_thresholds": {"threshold": threshold, "ambiguity_threshold": ambiguity},
        "at_shipped_thresholds": rates(truths, finals),
        "without_thresholds": rates(truths, raw),
        "macro_f1": round(sum(v["f1"] for v in intents.values()) / len(intents), 3),
        "macro_f1_without_thresholds": round(sum(v["f1"] for v in per_intent(truths, raw).values()) / len(intents), 3),
        "tuned_thresholds": {k: v for k, v in tuned.items() if k != "grid"},
        "threshold_grid": tuned["grid"],
        "per_intent": intents,
        "top_confusions": confusions(truths, finals),
        "entities": entity_scores(rows),
        "confusion_png": str(png.relative_to(ROOT)),
    }


def table(result: dict) -> str:
    lines = [
        f"{'':50} {'in-scope acc':>12} {'oos recall':>10} {'wrong handover':>14} {'train s':>8}",
    ]

    def row(name: str, r: dict, seconds: float | None = None) -> None:
        wrong = r.get("wrong_handover")
        lines.append(
            f"{name:50} {r['in_scope_accuracy']:>12.1f} {r['oos_recall']:>10.1f} "
            f"{'' if wrong is None else f'{wrong:.1f}':>14} {'' if seconds is None else f'{seconds:.0f}':>8}"
        )

    cv = result.get("crossval")
    if cv:
        row(
            f"ours, {cv['folds']}-fold CV, shipped thresholds",
            cv["at_shipped_thresholds"],
            max(cv["train_seconds_per_fold"]),
        )
        t = cv["tuned_thresholds"]
        row(f"ours, CV, grid choice t={t['threshold']} a={t['ambiguity_threshold']}", t["at_choice"])
    h = result.get("heldout")
    if h:
        row(f"held-out ({h['messages']} messages)", h, h["train_seconds"])
        u = h["unseen_only"]
        row(f"held-out, not also in training ({u['n_in_scope'] + u['n_oos']})", u)
    c = result.get("clinc150")
    if c:
        row("CLINC150 test, shipped pipeline, oos class", c["oos_as_class"], c["train_seconds"])
        t = c["thresholds_from_val"]
        row(
            f"CLINC150 test, + threshold {t['in_scope_first']} (val, in-scope first)",
            c["plus_threshold_in_scope_first"],
        )
        row(f"CLINC150 test, + threshold {t['balanced']} (val, balanced)", c["plus_threshold_balanced"])
        for p in c["published"]:
            row(f"  Larson et al. 2019: {p['system']}", p)
    if cv:
        lines.append(
            f"CV macro F1 {cv['macro_f1']:.3f} (without thresholds {cv['macro_f1_without_thresholds']:.3f}); "
            f"entity micro F1 {cv['entities']['micro']['f1']:.3f}; confusion matrix: {cv['confusion_png']}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default=str(ROOT / "config.yml"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--skip-crossval", action="store_true")
    parser.add_argument("--skip-clinc", action="store_true")
    parser.add_argument("--skip-heldout", action="store_true")
    parser.add_argument("--out", default=str(RESULTS / "nlu.json"))
    args = parser.parse_args()
    rasa_nlu.quiet()
    started = time.perf_counter()
    config = rasa_nlu.read_config(args.config)
    data = rasa_nlu.load_training_data(NLU_DATA)
    result: dict = {
        "pipeline": rasa_nlu.nlu_config(config)["pipeline"],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "definitions": DEFINITIONS,
        "training_examples": len(data.intent_examples),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = Path(args.out)
    # A part that is skipped keeps its figures from the previous run.
    previous = json.loads(out.read_text()) if out.exists() else {}
    for part, skipped in (
        ("crossval", args.skip_crossval),
        ("heldout", args.skip_heldout),
        ("clinc150", args.skip_clinc),
    ):
        if skipped and part in previous:
            result[part] = previous[part]

    def save() -> None:  # after every part: a failure later keeps what was measured
        result["total_seconds"] = round(time.perf_counter() - started, 1)
        out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")

    if not args.skip_crossval:
        result["crossval"] = crossval_section(config, data, args.folds)
        save()
    if not args.skip_heldout:
        log("==> Held-out file")
        result["heldout"] = heldout.evaluate(config, data, log=log)
        save()
    if not args.skip_clinc:
        log("==> CLINC150 Full")
        result["clinc150"] = clinc.run(config, log=log)
        save()
    log("")
    log(table(result))
    log(f"\nwritten: {out} ({result['total_seconds'] / 60:.1f} min)")


if __name__ == "__main__":
    main()
