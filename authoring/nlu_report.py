"""NLU part of `make report`: cross-validation of the shipped pipeline on the training data, as
figures a content writer can act on. Runs in the Rasa environment (.venvs/rasa):

    .venvs/rasa/bin/python -m authoring.nlu_report --folds 5 --out reports/nlu.json --png reports/confusion.png

The cross-validation itself and the metrics come from nlu_eval/ (crossval.py, metrics.py), as for
the NLU benchmark: the same out-of-fold predictions, scored at the thresholds config.yml ships,
so `make report` and `make bench-nlu` agree. Added here: per intent where its misses went, the
intent pairs the model mixes up with the customers' words that were mixed up, and every miss.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nlu_eval.metrics import (
    FALLBACK,
    apply,
    confusion_matrix,
    confusion_png,
    entity_scores,
    per_intent,
    rates,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES_PER_PAIR = 3
TOP_PAIRS = 10


def _confidence(row: dict[str, Any]) -> float:
    return round(row["ranking"][0][1], 3) if row.get("ranking") else 0.0


def _miss(row: dict[str, Any], final: str) -> dict[str, Any]:
    return {"text": row["text"], "true": row["intent"], "predicted": final, "confidence": _confidence(row)}


def confused_pairs(rows: list[dict[str, Any]], finals: list[str], top: int = TOP_PAIRS) -> list[dict[str, Any]]:
    """Intent pairs the model mixes up, in either direction, most mix-ups first, each with up to
    EXAMPLES_PER_PAIR of the mixed-up messages (the most confident mistakes: those are the ones a
    threshold does not catch, and the ones whose wording most needs a look). A fallback is not a
    confusion between two intents; the per-intent table counts those."""
    by_pair: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row, final in zip(rows, finals, strict=True):
        if final not in (row["intent"], FALLBACK):
            by_pair[tuple(sorted((row["intent"], final)))].append(_miss(row, final))
    pairs = []
    for (a, b), misses in by_pair.items():
        misses.sort(key=lambda m: (-m["confidence"], m["text"]))
        pairs.append(
            {
                "a": a,
                "b": b,
                "count": len(misses),
                "a_as_b": sum(m["true"] == a for m in misses),
                "b_as_a": sum(m["true"] == b for m in misses),
                "examples": misses[:EXAMPLES_PER_PAIR],
            }
        )
    pairs.sort(key=lambda p: (-p["count"], p["a"], p["b"]))
    return pairs[:top]


def intent_table(truths: list[str], finals: list[str]) -> dict[str, dict[str, Any]]:
    """nlu_eval/metrics.per_intent plus where each intent's misses went."""
    table = per_intent(truths, finals)
    fallbacks = Counter(t for t, f in zip(truths, finals, strict=True) if f == FALLBACK)
    mistaken: dict[str, Counter] = defaultdict(Counter)
    for t, f in zip(truths, finals, strict=True):
        if f not in (t, FALLBACK):
            mistaken[t][f] += 1
    for intent, row in table.items():
        row["fallback"] = fallbacks[intent]
        row["mistaken_for"] = [{"intent": i, "count": n} for i, n in mistaken[intent].most_common(3)]
    return table


def _finite(value: Any) -> Any:
    """NaN (e.g. out-of-scope recall without out-of-scope examples) as null: valid JSON."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def build(
    config_path: Path,
    data_paths: list[Path],
    folds: int,
    png: Path,
    seed: int = 0,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Cross-validate, draw the confusion matrix into `png`, return the figures."""
    # Imported here: they set Rasa's environment up, which the pure helpers above do not need
    # (the app environment imports those for its tests).
    from nlu_eval import rasa_nlu
    from nlu_eval.crossval import cross_validate

    started = time.perf_counter()
    config = rasa_nlu.read_config(config_path)
    data = rasa_nlu.load_training_data(*data_paths)
    intents = sorted({m.get("intent") for m in data.intent_examples})
    log(
        f"==> NLU cross-validation: {folds} folds over {len(data.intent_examples)} examples of "
        f"{len(intents)} intents ({config_path.name}); each fold trains the pipeline once"
    )
    done = 0

    def progress(text: str) -> None:
        nonlocal done
        done += 1
        elapsed = time.perf_counter() - started
        left = elapsed / done * (folds - done)
        log(f"{text}; {elapsed:.0f} s so far" + (f", about {left:.0f} s to go" if done < folds else ""))

    cv = cross_validate(config, data, folds, seed, log=progress)
    rows = cv["predictions"]
    truths = [r["intent"] for r in rows]
    threshold, ambiguity = rasa_nlu.shipped_thresholds(config)
    finals = apply(rows, threshold, ambiguity)
    table = intent_table(truths, finals)
    labels, columns, counts = confusion_matrix(truths, finals)
    confusion_png(truths, finals, png, f"Cross-validation ({folds} folds) at the shipped thresholds")
    correct = sum(t == f for t, f in zip(truths, finals, strict=True))
    misses = [_miss(r, f) for r, f in zip(rows, finals, strict=True) if f != r["intent"]]
    misses.sort(key=lambda m: (m["true"], -m["confidence"], m["text"]))
    return _finite(
        {
            "config": str(config_path),
            "data": [str(p) for p in data_paths],
            "folds": folds,
            "seed": seed,
            "examples": len(rows),
            "intents": len(labels),
            "thresholds": {"threshold": threshold, "ambiguity_threshold": ambiguity},
            "accuracy": round(100.0 * correct / len(rows), 2),
            "rates": rates(truths, finals),
            "macro_f1": round(sum(v["f1"] for v in table.values()) / len(table), 3),
            "entities": entity_scores(rows)["micro"],
            "per_intent": table,
            "confused_pairs": confused_pairs(rows, finals),
            "confusion": {"rows": labels, "columns": columns, "counts": counts, "png": png.name},
            "misses": misses,
            "train_seconds_per_fold": cv["train_seconds"],
            "seconds": round(time.perf_counter() - started, 1),
        }
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m authoring.nlu_report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--data", type=Path, nargs="+", default=[ROOT / "bot/data/nlu"])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True, help="figures as JSON")
    parser.add_argument("--png", type=Path, required=True, help="confusion matrix image")
    args = parser.parse_args(argv)
    if args.folds < 2:
        parser.error("--folds must be at least 2")
    from nlu_eval import rasa_nlu

    rasa_nlu.quiet()
    result = build(args.config, args.data, args.folds, args.png, args.seed, log=lambda t: print(t, flush=True))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
