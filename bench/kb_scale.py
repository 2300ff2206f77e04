"""FAISS search latency and memory at 10k, 100k and 1M chunks, exact (flat) vs approximate (HNSW).

Vectors are semi-real: the demo KB's passage vectors plus Gaussian noise, renormalised, so the
neighbourhood structure resembles real MiniLM vectors; queries are the embedded questions of
kb/eval/questions.tsv. Then the whole shipped query (embed the question, HNSW candidates, BM25
over every passage, blend) through KBSearcher on a 100k-passage index built from the same
synthetic vectors and the demo passages repeated. Writes bench/results/kb_scale.json.

    .venvs/app/bin/python -m bench.kb_scale [--sizes 10000 100000 1000000] [--hnsw-max 1000000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import faiss
import numpy as np

from harness.stack import built_test_index
from kb_index.embedding import make_embedder
from kb_index.evaluate import read_questions
from kb_index.search import KBSearcher
from kb_index.settings import KBSettings
from kb_index.store import current_build, read_build, write_build

ROOT = Path(__file__).resolve().parents[1]


def synthetic(base: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    rows = base[rng.integers(0, len(base), n)] + rng.normal(0, 0.05, (n, base.shape[1])).astype("float32")
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def timed_search(index: faiss.Index, queries: np.ndarray, k: int = 50) -> tuple[list[float], np.ndarray]:
    timings, found = [], []
    for q in queries:
        t = time.perf_counter()
        _, rows = index.search(q[None, :], k)
        timings.append((time.perf_counter() - t) * 1000)
        found.append(rows[0])
    return sorted(timings), np.array(found)


def measured(n: int, kind: str, index: faiss.Index, ms: list[float], recall: float, build_s: float) -> dict:
    return {
        "chunks": n,
        "index": kind,
        "p50_ms": round(statistics.median(ms), 3),
        "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 3),
        "memory_mb": round(faiss.serialize_index(index).nbytes / 2**20, 1),
        "recall@50": round(recall, 4),
        "build_s": round(build_s, 1),
    }


def write_synthetic_build(folder: Path, n: int, base_build, rng: np.random.Generator) -> None:
    """An n-passage HNSW build made of the real index's passages and (slightly perturbed) vectors,
    so the searcher, BM25 and the metadata work on text like the real KB's."""
    passages = base_build.meta["passages"]
    picks = rng.integers(0, len(passages), n)
    meta = {**base_build.meta, "index_type": "hnsw", "passages": [passages[i] for i in picks]}
    noisy = base_build.vectors[picks] + rng.normal(0, 0.05, (n, base_build.vectors.shape[1])).astype("float32")
    vectors = (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype("float32")
    write_build(folder, vectors, meta, "hnsw")


def full_query(n: int, base_build, questions: list[str], rng: np.random.Generator) -> dict:
    """p50/p95 of KBSearcher.search on an n-passage HNSW index: everything a customer waits for."""
    import tempfile

    settings = KBSettings(_env_file=None)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        write_synthetic_build(Path(tmp), n, base_build, rng)
        build_s = time.perf_counter() - t
        searcher = KBSearcher(settings, index_dir=Path(tmp))
        t = time.perf_counter()
        searcher.warm_up()  # loads the index and builds the BM25 matrix
        load_s = time.perf_counter() - t
        timings = []
        for q in questions:
            t = time.perf_counter()
            searcher.search(q)
            timings.append((time.perf_counter() - t) * 1000)
    timings.sort()
    return {
        "chunks": n,
        "index": f"full query (hybrid w={settings.lexical_weight}, hnsw)",
        "p50_ms": round(statistics.median(timings), 3),
        "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 3),
        "memory_mb": None,
        "recall@50": None,
        "build_s": round(build_s, 1),
        "load_s": round(load_s, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--hnsw-max", type=int, default=1_000_000, help="largest size to build HNSW for")
    parser.add_argument("--full-query", type=int, default=100_000, help="passages for the whole-query row (0: skip)")
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)
    base_build = read_build(current_build(built_test_index()))
    base = base_build.vectors
    questions = [q.question for q in read_questions(ROOT / "kb/eval/questions.tsv")][:200]
    queries = make_embedder(KBSettings(_env_file=None).embedding_model).encode(questions)
    rng = np.random.default_rng(7)
    rows = []
    for n in args.sizes:
        vectors = synthetic(base, n, rng)
        flat = faiss.IndexFlatIP(vectors.shape[1])
        flat.add(vectors)
        flat_ms, exact = timed_search(flat, queries)
        rows.append(measured(n, "flat (exact)", flat, flat_ms, recall=1.0, build_s=0.0))
        if n <= args.hnsw_max:
            hnsw = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
            hnsw.hnsw.efConstruction = 64
            t = time.perf_counter()
            hnsw.add(vectors)
            build_s = time.perf_counter() - t
            hnsw.hnsw.efSearch = 128
            hnsw_ms, approx = timed_search(hnsw, queries)
            recall = np.mean([len(set(a) & set(e)) / len(e) for a, e in zip(approx, exact, strict=True)])
            rows.append(measured(n, "hnsw M=32 ef=128", hnsw, hnsw_ms, float(recall), build_s))
        print(json.dumps(rows[-2:] if n <= args.hnsw_max else rows[-1:]), flush=True)
    if args.full_query:
        rows.append(full_query(args.full_query, base_build, questions, rng))
        print(json.dumps(rows[-1]), flush=True)
    out = ROOT / "bench/results/kb_scale.json"
    out.write_text(json.dumps({"benchmark": "kb_scale", "dimension": int(base.shape[1]), "rows": rows}, indent=2))
    print(f"\n{'chunks':>9s}  {'index':18s} {'p50 ms':>8s} {'p95 ms':>8s} {'MB':>8s} {'recall@50':>9s} {'build s':>8s}")
    for r in rows:
        print(
            f"{r['chunks']:9d}  {r['index']:18s} {r['p50_ms']:8.3f} {r['p95_ms']:8.3f} "
            f"{r['memory_mb'] or 0:8.1f} {r['recall@50'] or 0:9.4f} {r['build_s']:8.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
