"""python -m kb_index build | search | eval"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from kb_index.loading import ArticleError
from kb_index.settings import get_settings


def _cmd_build(args: argparse.Namespace) -> int:
    from kb_index.build import build_index

    settings = get_settings()
    try:
        stats = build_index(settings, source=args.source, out=args.out, progress=not args.quiet)
    except ArticleError as exc:
        print(f"kb_index: build failed, the index was not changed: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(stats))
    return 0


def _cmd_search(args: argparse.Namespace) -> int:
    from kb_index.search import IndexNotBuiltError, KBSearcher

    settings = get_settings()
    searcher = KBSearcher(settings, index_dir=args.index)
    questions = [args.question] if args.question else (line.strip() for line in sys.stdin)
    try:
        for question in questions:
            if not question:
                continue
            hits = searcher.search(question, top_k=args.top_k)
            if args.json:
                print(json.dumps([h.as_dict() for h in hits]), flush=True)
            else:
                print(f"? {question}")
                for h in hits:
                    said = "answers" if h.answers else "nearest" if h.related else ""
                    print(f"  {h.score:.3f} {said:7s}  {h.article_id:28s} {h.title}")
    except IndexNotBuiltError as exc:
        print(f"kb_index: {exc}", file=sys.stderr)
        return 2
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from kb_index.evaluate import calibrate, evaluate, read_questions, read_unanswerable
    from kb_index.search import IndexNotBuiltError, KBSearcher

    settings = get_settings()
    searcher = KBSearcher(settings, index_dir=args.index)
    try:
        questions = read_questions(args.questions)
        negatives = read_unanswerable(args.unanswerable) if args.unanswerable else None
        result = evaluate(searcher, questions, negatives, threshold=args.threshold)
    except (IndexNotBuiltError, ValueError, OSError) as exc:
        print(f"kb_index: {exc}", file=sys.stderr)
        return 2
    scores = result.pop("_scores")
    if negatives:
        result["calibrated_threshold"] = calibrate(scores)
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kb_index", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_build = sub.add_parser("build", help="validate articles and (re)build the index")
    p_build.add_argument("--source", type=Path, default=None, help="article folder (KB_SOURCE_DIR)")
    p_build.add_argument("--out", type=Path, default=None, help="index folder (KB_INDEX_DIR)")
    p_build.add_argument("--quiet", action="store_true", help="no progress bar")
    p_build.set_defaults(func=_cmd_build)
    p_search = sub.add_parser("search", help="search; reads one question per line from stdin if none given")
    p_search.add_argument("question", nargs="?")
    p_search.add_argument("--top-k", type=int, default=3)
    p_search.add_argument(
        "--json", action="store_true", help="one JSON list of hits per question, each with the bot's decision (answers)"
    )
    p_search.add_argument("--index", type=Path, default=None, help="index folder (KB_INDEX_DIR)")
    p_search.set_defaults(func=_cmd_search)
    p_eval = sub.add_parser("eval", help="recall@1/3, MRR and answered share on labelled questions")
    p_eval.add_argument("--questions", type=Path, required=True, help="TSV: question<TAB>article_id")
    p_eval.add_argument("--unanswerable", type=Path, help="questions the KB must not answer, one per line")
    p_eval.add_argument("--threshold", type=float, default=None, help="default: KB_MIN_SCORE")
    p_eval.add_argument("--index", type=Path, default=None, help="index folder (KB_INDEX_DIR)")
    p_eval.add_argument("--json", action="store_true", help="one line of JSON")
    p_eval.set_defaults(func=_cmd_eval)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
