"""Entity extraction on customer-style messages with their entities: bench/data/entities_test.yml
(never trained or tuned on) and bench/data/entities_dev.yml (the set the lexicon's rules were
checked against while they were written; its figures are optimistic).

An extracted entity counts when its type is right and it covers the annotated words; where the
annotation gives a canonical value ({"entity": "os", "value": "Windows"}) the value must be that
too. Precision, recall and F1 per entity type and overall (micro).

    .venvs/rasa/bin/python -m bench.nlu.entities [--model models/nimbus.tar.gz]   # part of make bench-nlu
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = ROOT / "bench/data/entities_test.yml"
DEV = ROOT / "bench/data/entities_dev.yml"
RESULTS = ROOT / "bench/results/entities.json"
ENTITIES = ("device", "os", "browser", "app_platform", "plan", "error_code", "email", "license_key", "ticket_id")


def read_heldout(path: Path = HELDOUT) -> list[dict[str, Any]]:
    from rasa.shared.nlu.training_data.loading import load_data

    rows = []
    for message in load_data(str(path)).training_examples:
        gold = [
            {
                "entity": e["entity"],
                "start": e["start"],
                "end": e["end"],
                "value": str(e.get("value")),
                "canonical": str(e.get("value")) != message.get("text")[e["start"] : e["end"]],
            }
            for e in message.get("entities") or []
        ]
        rows.append({"text": message.get("text"), "gold": gold})
    return rows


def _same(gold: dict[str, Any], found: dict[str, Any]) -> bool:
    if gold["entity"] != found.get("entity"):
        return False
    overlap = found.get("start", -1) < gold["end"] and gold["start"] < found.get("end", -1)
    if gold["canonical"]:
        return overlap and str(found.get("value")).lower() == gold["value"].lower()
    return overlap


def score(rows: list[dict[str, Any]], predictions: list[list[dict[str, Any]]]) -> dict[str, Any]:
    tp: Counter = Counter()
    fp: Counter = Counter()
    fn: Counter = Counter()
    misses = []
    for row, found in zip(rows, predictions, strict=True):
        found = [f for f in found if f.get("entity") in ENTITIES]
        used: set[int] = set()
        for gold in row["gold"]:
            hit = next((i for i, f in enumerate(found) if i not in used and _same(gold, f)), None)
            if hit is None:
                fn[gold["entity"]] += 1
                misses.append({"text": row["text"], "missed": f"{gold['entity']}={gold['value']}"})
            else:
                used.add(hit)
                tp[gold["entity"]] += 1
        for i, f in enumerate(found):
            if i not in used:
                fp[f["entity"]] += 1
                misses.append({"text": row["text"], "extra": f"{f['entity']}={f.get('value')}"})

    def prf(t: int, p: int, n: int) -> dict[str, float]:
        precision = t / (t + p) if t + p else 0.0
        recall = t / (t + n) if t + n else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3), "support": t + n}

    return {
        "messages": len(rows),
        "micro": prf(sum(tp.values()), sum(fp.values()), sum(fn.values())),
        "by_entity": {e: prf(tp[e], fp[e], fn[e]) for e in ENTITIES},
        "mistakes": misses,
    }


def evaluate_model(model: Path, path: Path = HELDOUT) -> dict[str, Any]:
    from nlu_eval import rasa_nlu

    rows = read_heldout(path)
    parser = rasa_nlu.Parser(model)
    parsed = parser.parse([r["text"] for r in rows])
    parser.close()
    return score(rows, [p.get("entities") or [] for p in parsed])


def table(result: dict[str, Any]) -> str:
    lines = [f"{'entity':14} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>8}"]
    for name, s in [*result["by_entity"].items(), ("micro", result["micro"])]:
        lines.append(f"{name:14} {s['precision']:>9.3f} {s['recall']:>7.3f} {s['f1']:>6.3f} {s['support']:>8}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models/nimbus.tar.gz")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--set",
        type=Path,
        default=HELDOUT,
        help=f"annotated messages (default {HELDOUT.name}; {DEV.name}: the set the lexicon was tuned on)",
    )
    args = parser.parse_args()
    from nlu_eval import rasa_nlu

    rasa_nlu.quiet()
    result = evaluate_model(args.model, args.set)
    figures = {"model": args.model.name, "set": args.set.name, **result}
    args.out.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n")
    print(table(result))
    for m in result["mistakes"][:40]:
        print("  ", m)


if __name__ == "__main__":
    main()
