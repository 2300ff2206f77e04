"""`make report`: how well the bot understands and how well the KB answers, for content writers.

    .venvs/app/bin/python -m authoring.report [--folds 5] [--out reports]

1. KB evaluation (this process, the app environment): `kb_index eval` on kb/eval/questions.tsv
   against the built index (`make index`); first, because it takes seconds and a missing index
   should not wait for the cross-validation to be reported.
2. NLU cross-validation of config.yml's pipeline on bot/data/nlu, in the Rasa environment
   (authoring/nlu_report.py, minutes on 2 cores; it prints each fold).
3. reports/index.html, reports/report.json and reports/confusion.png, and a one-screen summary.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from authoring import kb_report, report_page

ROOT = Path(__file__).resolve().parents[1]
RASA_PY = ROOT / ".venvs/rasa/bin/python"


def _commit() -> str:
    """Which version of the data the report describes (with '+changes' for uncommitted edits)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "bot/data", "domain.yml", "config.yml", "kb"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+changes" if dirty else "")


def run_nlu(config: Path, data: list[Path], folds: int, out_dir: Path) -> dict[str, Any]:
    """authoring.nlu_report in the Rasa environment; its progress lines go straight through."""
    figures = out_dir / "nlu.json"
    command = [
        str(RASA_PY),
        "-m",
        "authoring.nlu_report",
        "--config",
        str(config),
        "--data",
        *map(str, data),
        "--folds",
        str(folds),
        "--out",
        str(figures),
        "--png",
        str(out_dir / "confusion.png"),
    ]
    env = dict(os.environ, PYTHONPATH=str(ROOT), RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3")
    # Progress is on stdout and goes straight through. Rasa's dependencies write screens of
    # deprecation warnings to stderr (some turn warnings back on themselves, so -W ignore does
    # not stop them): kept back and shown only if the run fails, where they may explain why.
    done = subprocess.run(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-6000:])
        raise subprocess.CalledProcessError(done.returncode, command)
    result = json.loads(figures.read_text(encoding="utf-8"))
    figures.unlink()  # its figures are in report.json
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m authoring.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=int(os.environ.get("FOLDS") or 5))
    parser.add_argument("--out", type=Path, default=ROOT / "reports")
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--data", type=Path, nargs="+", default=[ROOT / "bot/data/nlu"])
    parser.add_argument("--kb-index", type=Path, default=None, help="built index (default KB_INDEX_DIR)")
    parser.add_argument("--kb-questions", type=Path, default=ROOT / "kb/eval/questions.tsv")
    parser.add_argument("--kb-unanswerable", type=Path, default=ROOT / "kb/eval/unanswerable.txt")
    args = parser.parse_args(argv)
    if args.folds < 2:
        parser.error("--folds (FOLDS=) must be at least 2")
    started = time.perf_counter()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "meta": {
            "generated_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": _commit(),
            "config": str(args.config.relative_to(ROOT) if args.config.is_relative_to(ROOT) else args.config),
        }
    }

    print(f"==> KB evaluation: {args.kb_questions.name} against the built index", flush=True)
    from kb_index.search import IndexNotBuiltError

    try:
        report["kb"] = kb_report.build(args.kb_questions, args.kb_unanswerable, index_dir=args.kb_index)
    except (IndexNotBuiltError, ValueError, OSError) as exc:
        # The NLU half is still worth minutes of CPU; the page says why the KB half is missing.
        report["kb_error"] = str(exc)
        print(f"    KB evaluation failed: {exc}", file=sys.stderr)

    try:
        report["nlu"] = run_nlu(args.config, args.data, args.folds, out)
    except subprocess.CalledProcessError as exc:
        print(f"report: the NLU cross-validation failed (exit {exc.returncode}); see above", file=sys.stderr)
        return 1
    report["meta"]["seconds"] = round(time.perf_counter() - started, 1)
    report_page.write(out, report)
    print()
    print(report_page.summary(report, _short(out)))
    print(f"({report['meta']['seconds'] / 60:.1f} min)")
    return 1 if "kb_error" in report else 0


def _short(path: Path) -> Path:
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


if __name__ == "__main__":
    raise SystemExit(main())
