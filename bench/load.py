"""Many customers at once: scripted conversations over REST at 20 and 50 concurrent customers, on
the embedded stack (`make run`: one process each, SQLite) and on the scaled setup with one and with
two Rasa and action replicas (`make run-scaled`), all in one run. Loopback only, bounded: a fixed
number of conversations per run and a time cap.

Each conversation opens with a message the NLU has not seen in that run (bench/data/nlu_heldout/
and kb/eval/, so the sentence-embedding cache does not flatter the figures), then follows one of
bench/data/load_conversations.yml turn by turn. Writes bench/results/load.json and load.svg.

    make bench-load    (or: .venvs/app/bin/python -m bench.load --conversations 100 --cap 120)
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import statistics
import time
import uuid
from collections import deque
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import yaml

from bench.latency import UNLIMITED, Messages, percentile
from bench.process_stats import cpu_seconds
from harness.scaled_stack import running_scaled_stack
from harness.stack import ROOT, built_test_index, running_stack, trained_test_model
from insights.charts import bar_chart

RESULTS = ROOT / "bench/results"
SCRIPTS = ROOT / "bench/data/load_conversations.yml"
CONCURRENCY = (20, 50)


def conversations(pool: Messages, scripts: list[list[str]], count: int) -> list[list[str]]:
    return [[first, *script] for first, script in zip(pool.take(pool.mix, count), itertools.cycle(scripts))]


async def customer(client: httpx.AsyncClient, url: str, queue: deque, deadline: float, turns: list) -> None:
    """One customer after another at this seat: each conversation turn by turn, until the queue is
    empty or the time is up. Appends (milliseconds, answered) per turn."""
    while queue and time.monotonic() < deadline:
        script, conversation_id = queue.popleft(), f"load-{uuid.uuid4().hex[:10]}"
        for text in script:
            start = time.perf_counter()
            try:
                r = await client.post(url, json={"sender": conversation_id, "message": text})
                answered = r.status_code == 200 and bool(r.json())
            except httpx.HTTPError:
                answered = False
            turns.append(((time.perf_counter() - start) * 1000, answered))


def programs(stack) -> dict[str, int]:  # noqa: ANN001 - a Stack or a ScaledStack
    """PID of each process of the stack, by program name."""
    if hasattr(stack, "processes"):
        return {name: p.pid for name, p in stack.processes.items()}
    found = {}
    for line in stack.supervisorctl("status").splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[1] == "RUNNING" and parts[2] == "pid":
            found[parts[0]] = int(parts[3].rstrip(","))
    return found


def machine_busy_seconds() -> float:
    """CPU time the whole machine spent busy (every process, the databases and broker included)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(pids: dict[str, int]) -> dict[str, float]:
    # rasa-1, rasa-2 -> rasa: the figure is per turn of the whole setup
    totals: dict[str, float] = {}
    for name, pid in pids.items():
        group = name.rsplit("-", 1)[0] if name[-1].isdigit() else name
        totals[group] = totals.get(group, 0.0) + cpu_seconds(pid)
    times = os.times()
    totals["load client (this bench)"] = times.user + times.system
    totals["machine"] = machine_busy_seconds()
    return totals


def cpu_per_turn(before: dict[str, float], after: dict[str, float], turns: int) -> dict[str, float]:
    spent = {k: (after[k] - before.get(k, 0.0)) * 1000 / max(turns, 1) for k in after}
    spent["other (PostgreSQL, Redis, RabbitMQ, kernel)"] = spent["machine"] - sum(
        v for k, v in spent.items() if k != "machine"
    )
    return {k: round(v, 1) for k, v in spent.items()}


async def load(url: str, scripts: list[list[str]], concurrency: int, cap_s: float) -> dict:
    queue, turns = deque(scripts), []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        started = time.monotonic()
        deadline = started + cap_s
        await asyncio.gather(*(customer(client, url, queue, deadline, turns) for _ in range(concurrency)))
        wall = time.monotonic() - started
    timings = [ms for ms, _ in turns]
    return {
        "concurrency": concurrency,
        "conversations": len(scripts) - len(queue),
        "turns": len(turns),
        "wall_s": round(wall, 1),
        "turns_per_s": round(len(turns) / wall, 1),
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 95), 1),
        "errors": sum(not ok for _, ok in turns),
        "capped": bool(queue),
    }


def setups(model: Path, index: Path) -> dict[str, AbstractContextManager]:
    return {
        "embedded (make run)": running_stack(model, index, UNLIMITED),
        "scaled, 1 Rasa + 1 action replica": running_scaled_stack(1, 1, UNLIMITED),
        "scaled, 2 Rasa + 2 action replicas": running_scaled_stack(2, 2, UNLIMITED),
        # The price of answering a burst of one customer in arrival order: 4 messages per replica.
        "scaled, 2 + 2, SCALED_RASA_CONCURRENCY=4": running_scaled_stack(
            2, 2, UNLIMITED | {"SCALED_RASA_CONCURRENCY": "4"}
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=100, help="per run")
    parser.add_argument("--cap", type=float, default=120, help="seconds per run at most")
    args = parser.parse_args()
    scripts = yaml.safe_load(SCRIPTS.read_text())
    model, index = trained_test_model(), built_test_index()
    rows: dict[str, list[dict]] = {}
    for name, stack_cm in setups(model, index).items():
        pool = Messages()  # new processes: every first message unseen again
        with stack_cm as stack:
            url = f"{stack.rasa_url}/webhooks/rest/webhook"
            asyncio.run(load(url, conversations(pool, scripts, 10), 5, 60))  # warm: every code path once
            rows[name] = []
            for c in CONCURRENCY:
                pids = programs(stack)
                before = cpu_snapshot(pids)
                row = asyncio.run(load(url, conversations(pool, scripts, args.conversations), c, args.cap))
                row["cpu_ms_per_turn"] = cpu_per_turn(before, cpu_snapshot(pids), row["turns"])
                rows[name].append(row)
        print(f"{name}: " + ", ".join(f"{r['concurrency']} at once {r['turns_per_s']} turns/s" for r in rows[name]))
    one, two = rows["scaled, 1 Rasa + 1 action replica"], rows["scaled, 2 Rasa + 2 action replicas"]
    ratio = {
        str(a["concurrency"]): round(b["turns_per_s"] / a["turns_per_s"], 2) for a, b in zip(one, two, strict=True)
    }
    result = {
        "benchmark": "load",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "model": "the test model (harness/stack.py trained_test_model)",
        "conversations_per_run": args.conversations,
        "cap_s": args.cap,
        "rows": rows,
        "two_replicas_over_one": ratio,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(result, indent=2) + "\n")
    chart = bar_chart(
        "Turns per second, scripted customers over REST",
        [(f"{name}, {r['concurrency']} at once", r["turns_per_s"]) for name, runs in rows.items() for r in runs],
        headers=("setup", "turns/s"),
    )
    (RESULTS / "load.svg").write_text(str(chart.svg))
    print(f"\nScripted customers over REST, {args.conversations} conversations per run (cap {args.cap:.0f} s)")
    print(f"{'setup':42s} {'at once':>7s} {'turns':>6s} {'turns/s':>8s} {'p50 ms':>8s} {'p95 ms':>8s} {'errors':>6s}")
    for name, runs in rows.items():
        for r in runs:
            print(
                f"{name:42s} {r['concurrency']:7d} {r['turns']:6d} {r['turns_per_s']:8.1f} {r['p50_ms']:8.1f}"
                f" {r['p95_ms']:8.1f} {r['errors']:6d}{'  (capped)' if r['capped'] else ''}"
            )
    print("two replicas / one: " + ", ".join(f"{c} at once {v}x" for c, v in ratio.items()))
    print("\nCPU ms per turn at 20 at once (the machine has 2 cores: 1,000 ms of CPU per second each)")
    for name, runs in rows.items():
        spent = runs[0]["cpu_ms_per_turn"]
        print(f"{name:38s} " + ", ".join(f"{k} {v}" for k, v in spent.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
