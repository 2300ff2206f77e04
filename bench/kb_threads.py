"""onnxruntime threads per KB query, side by side under concurrent searches: why the action server
embeds each query on one thread. A 100k-passage HNSW index (as in kb_scale's full-query row),
1, 2 and 4 concurrent clients (the action server runs searches in worker threads), for
OMP_NUM_THREADS=1 and 2, each in its own process. Writes bench/results/kb_threads.json.

    .venvs/app/bin/python -m bench.kb_threads
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = (1, 2, 4)
THREADS = (1, 2)


def measure() -> list[dict]:
    """In this process (threads from OMP_NUM_THREADS): latency and throughput per client count."""
    import faiss

    from bench.kb_scale import write_synthetic_build
    from harness.stack import built_test_index
    from kb_index.evaluate import read_questions
    from kb_index.search import KBSearcher
    from kb_index.settings import KBSettings
    from kb_index.store import current_build, read_build

    faiss.omp_set_num_threads(1)
    base = read_build(current_build(built_test_index()))
    questions = [q.question for q in read_questions(ROOT / "kb/eval/questions.tsv")][:120]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        write_synthetic_build(Path(tmp), 100_000, base, np.random.default_rng(7))
        searcher = KBSearcher(KBSettings(_env_file=None), index_dir=Path(tmp))
        searcher.warm_up()

        def one(question: str) -> float:
            t = time.perf_counter()
            searcher.search(question)
            return (time.perf_counter() - t) * 1000

        for clients in CLIENTS:
            with ThreadPoolExecutor(clients) as pool:
                t = time.perf_counter()
                latencies = sorted(pool.map(one, questions * 2))
                wall = time.perf_counter() - t
            rows.append(
                {
                    "threads": int(os.environ.get("OMP_NUM_THREADS", "1")),
                    "clients": clients,
                    "p50_ms": round(statistics.median(latencies), 1),
                    "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1),
                    "queries_per_s": round(len(latencies) / wall, 1),
                }
            )
    return rows


def main() -> int:
    if "--child" in sys.argv:
        print(json.dumps(measure()))
        return 0
    rows = []
    for threads in THREADS:
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "PYTHONPATH": str(ROOT)}
        out = subprocess.run(
            [sys.executable, "-m", "bench.kb_threads", "--child"], env=env, capture_output=True, text=True, check=True
        )
        rows += json.loads(out.stdout.strip().splitlines()[-1])
    (ROOT / "bench/results/kb_threads.json").write_text(json.dumps({"benchmark": "kb_threads", "rows": rows}, indent=2))
    print(f"{'threads':>7s} {'clients':>7s} {'p50 ms':>7s} {'p95 ms':>7s} {'queries/s':>9s}")
    for r in rows:
        print(f"{r['threads']:7d} {r['clients']:7d} {r['p50_ms']:7.1f} {r['p95_ms']:7.1f} {r['queries_per_s']:9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
