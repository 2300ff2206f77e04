"""KB questions as first messages through the bot: each question opens a new conversation over the
REST channel of a freshly started stack, and the reply is read as a customer would read it: which
article the bot quoted (its citation), or none. Answerable questions count as correct, wrong
article, or not answered (no article: a flow, a menu, "I don't have an article"); unanswerable
ones count as given an article or not.

    .venvs/app/bin/python -m bench.kb_first_messages [--set unseen|heldout|team|all] [--model PATH]

Writes bench/results/kb_first_messages.json and prints a table, one row per question set.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from harness.stack import ROOT, built_test_index, running_stack

RESULTS = ROOT / "bench/results/kb_first_messages.json"
EVAL = ROOT / "kb/eval"
# (answerable questions, unanswerable questions) per set; "unseen" is frozen, written without
# sight of the articles' questions, the bot's data or the team's tests.
SETS = {
    "unseen": (EVAL / "unseen/answerable.tsv", EVAL / "unseen/unanswerable.txt"),
    "heldout": (EVAL / "heldout_questions.tsv", EVAL / "heldout_unanswerable.txt"),
    "team": (EVAL / "questions.tsv", EVAL / "unanswerable.txt"),
}


@dataclass(frozen=True)
class Question:
    text: str
    article: str | None  # None: no article answers it


def load_set(name: str) -> list[Question]:
    answerable, unanswerable = SETS[name]
    out = []
    for line in answerable.read_text(encoding="utf-8").splitlines():
        if line.strip():
            text, article = line.split("\t")
            out.append(Question(text.strip(), article.strip()))
    out += [
        Question(line.strip(), None) for line in unanswerable.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    return out


def cited_article(replies: list[dict]) -> tuple[str | None, bool]:
    """The article the bot cited (its citation card, as the widget shows it), and whether it was
    only named as the nearest article the bot is not sure answers (not quoted as the answer)."""
    for reply in replies:
        citation = ((reply.get("custom") or {}).get("data") or {}).get("tier0", {}).get("citation")
        if citation:
            return citation.get("article_id"), bool(citation.get("doubted"))
    return None, False


# How the bot says it has no article (bot/actions/kb.py): an answerable question that gets this
# was abstained on; one that gets neither an article nor this was routed elsewhere (a flow, a menu).
ABSTAINED = "don't have a help article"


def ask(stack, text: str) -> tuple[str | None, bool, str, float]:  # noqa: ANN001 - a harness.stack.Stack
    started = time.perf_counter()
    replies = stack.say(f"kbq-{uuid.uuid4().hex[:10]}", text, timeout=60)
    said = " ".join(m.get("text") or "" for m in replies)
    return *cited_article(replies), said, time.perf_counter() - started


def score(questions: list[Question], cited: list[str | None], doubted: list[bool], said: list[str]) -> dict:
    """An article counts as given when quoted as the answer; one only named as the nearest
    ("I don't have an article that answers exactly that...") is counted apart."""
    answers = [None if d else a for a, d in zip(cited, doubted, strict=True)]
    nearest = [a if d else None for a, d in zip(cited, doubted, strict=True)]
    named_right = sum(n == q.article for q, n in zip(questions, nearest, strict=True) if q.article)
    named_unanswerable = sum(n is not None for q, n in zip(questions, nearest, strict=True) if not q.article)
    abstained = sum(
        a is None and (ABSTAINED in s or n is not None)
        for q, a, n, s in zip(questions, answers, nearest, said, strict=True)
        if q.article
    )
    answerable = [(q, a) for q, a in zip(questions, answers, strict=True) if q.article]
    unanswerable = [(q, a) for q, a in zip(questions, answers, strict=True) if not q.article]
    correct = sum(a == q.article for q, a in answerable)
    wrong = sum(a is not None and a != q.article for q, a in answerable)
    given = sum(a is not None for _, a in unanswerable)
    n, m = len(answerable), len(unanswerable)
    return {
        "answerable": n,
        "unanswerable": m,
        "answered_correctly": round(correct / n, 3) if n else None,
        "wrong_article": round(wrong / n, 3) if n else None,
        "not_answered": round((n - correct - wrong) / n, 3) if n else None,
        "abstained": round(abstained / n, 3) if n else None,
        "routed_elsewhere": round((n - correct - wrong - abstained) / n, 3) if n else None,
        "unanswerable_given_an_article": round(given / m, 3) if m else None,
        "nearest_named_right_article": round(named_right / n, 3) if n else None,
        "unanswerable_nearest_named": round(named_unanswerable / m, 3) if m else None,
        "wrong_examples": [
            {"question": q.text, "expected": q.article, "got": a} for q, a in answerable if a and a != q.article
        ][:25],
        "unanswered_examples": [{"question": q.text, "expected": q.article} for q, a in answerable if a is None][:25],
        "unanswerable_answered_examples": [{"question": q.text, "got": a} for q, a in unanswerable if a][:25],
        "articles_given_to_unanswerable": dict(Counter(a for _, a in unanswerable if a).most_common(10)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=[*SETS, "all"], default="all")
    parser.add_argument("--model", type=Path, default=ROOT / "models/nimbus.tar.gz")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    names = list(SETS) if args.set == "all" else [args.set]
    results: dict[str, dict] = {}
    started = time.monotonic()
    with running_stack(args.model, built_test_index()) as stack:
        for name in names:
            questions = load_set(name)
            answers, doubts, replies, seconds = [], [], [], []
            for n, q in enumerate(questions):
                if n % 50 == 0:
                    stack.reset_limits()  # one client sends them all: below the per-client limits
                article, doubted, said, took = ask(stack, q.text)
                answers.append(article)
                doubts.append(doubted)
                replies.append(said)
                seconds.append(took)
            results[name] = score(questions, answers, doubts, replies) | {
                "p50_ms": round(sorted(seconds)[len(seconds) // 2] * 1000)
            }
    figures = {
        "what": "KB questions as first messages over the REST channel of the real stack; the article "
        "is the one the bot cited",
        "model": args.model.name,
        "machine": platform.platform(),
        "seconds": round(time.monotonic() - started, 1),
        "sets": results,
    }
    if args.out and args.set == "all":
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, indent=2) + "\n")
    print(
        f"{'set':9}{'answerable':>11}{'correct':>9}{'wrong':>8}{'abstained':>11}{'routed':>8}"
        f"{'unanswerable':>14}{'given one':>11}{'p50 ms':>8}   (nearest named: right article / unanswerable)"
    )
    for name, r in results.items():
        print(
            f"{name:9}{r['answerable']:>11}{r['answered_correctly']:>9.1%}{r['wrong_article']:>8.1%}"
            f"{r['abstained']:>11.1%}{r['routed_elsewhere']:>8.1%}"
            f"{r['unanswerable']:>14}{r['unanswerable_given_an_article']:>11.1%}{r['p50_ms']:>8}"
            f"   {r['nearest_named_right_article']:.1%} / {r['unanswerable_nearest_named']:.1%}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
