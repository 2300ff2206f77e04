"""The report's two faces: `reports/index.html` (+ `report.json`) to read at leisure, and a summary
that fits one terminal screen. Rendered by Jinja2 with autoescaping: the page quotes customers'
words from the training data, which may contain anything."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).resolve().parent / "templates"
WEAKEST = 5
PAIRS = 4
WIDTH = 100


def pct(value: float | None) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1f}%"


def intents_weakest_first(nlu: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return sorted(nlu["per_intent"].items(), key=lambda item: (item[1]["f1"], item[1]["recall"], item[0]))


def write(out_dir: Path, report: dict[str, Any]) -> tuple[Path, Path]:
    """report.json and index.html in `out_dir` (the confusion image is already there)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data = out_dir / "report.json"
    data.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    page = env.get_template("report.html").render(
        meta=report["meta"],
        nlu=report["nlu"],
        kb=report.get("kb"),
        kb_error=report.get("kb_error"),
        intents=intents_weakest_first(report["nlu"]),
        pct=pct,
    )
    html = out_dir / "index.html"
    html.write_text(page, encoding="utf-8")
    return html, data


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def summary(report: dict[str, Any], out_dir: Path) -> str:
    """At most ~20 lines: the headline figures, the weakest intents, the worst pairs with one
    example each, the KB figures, and where the full report is."""
    nlu, kb = report["nlu"], report.get("kb")
    rates = nlu["rates"]
    lines = [
        f"NLU: {nlu['folds']}-fold cross-validation, {nlu['examples']} examples, {nlu['intents']} intents "
        f"({nlu['seconds']:.0f} s)",
        f"  accuracy {pct(nlu['accuracy'])}   in-scope {pct(rates['in_scope_accuracy'])}   "
        f"out-of-scope recall {pct(rates['oos_recall'])}   macro F1 {nlu['macro_f1']:.3f}"
        + (f"   entity F1 {nlu['entities']['f1']:.3f}" if nlu["entities"]["support"] else ""),
        "  weakest intents (F1): "
        + ", ".join(f"{name} {row['f1']:.2f}" for name, row in intents_weakest_first(nlu)[:WEAKEST]),
    ]
    pairs = nlu["confused_pairs"][:PAIRS]
    if pairs:
        lines.append("  most confused pairs:")
        width = max(len(p["a"]) + len(p["b"]) for p in pairs) + 5
        for p in pairs:
            names = f"{p['a']} <-> {p['b']}"
            lines.append(_clip(f'    {p["count"]:>3}  {names:{width}} e.g. "{p["examples"][0]["text"]}"', WIDTH))
    else:
        lines.append("  no two intents were mixed up")
    if kb:
        lines.append(
            f"KB: {kb['questions']} questions   recall@1 {kb['recall@1']:.3f}   recall@3 {kb['recall@3']:.3f}   "
            f"MRR {kb['mrr']:.3f}   answered {pct(100 * kb['answered'])}"
            + (f"   unanswerable answered {pct(100 * kb['unanswerable_answered'])}" if "unanswerable" in kb else "")
        )
        if kb["misses"]:
            lines.append(f"  {len(kb['misses'])} question(s) got another article first (listed in the report)")
    else:
        lines.append(f"KB: not evaluated: {report.get('kb_error')}")
    lines.append(f"Report: {out_dir / 'index.html'}  (next to it: {nlu['confusion']['png']}, report.json)")
    return "\n".join(lines)
