"""Where a turn's CPU goes, sampled with py-spy on the running Rasa and action server processes.

Four kinds of turn, each on messages the NLU has not seen in this run where that makes sense:
small talk, a troubleshooting step (answering a diagnosis question), a KB answer, and a handoff
(the customer asks for a person; the action server writes the ticket). For each, py-spy records
the processes while the turns run; the samples are split by phase (NLU pipeline, policies, tracker
store, action calls, HTTP and the rest) and, inside the NLU and the policies, by component.
Writes bench/results/profile.json and prints the table (CPU ms per turn).

    make bench-profile   (or: .venvs/app/bin/python -m bench.profile --turns 30)
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

from bench.latency import UNLIMITED, Messages, send
from harness.stack import APP_PY, ROOT, built_test_index, running_stack

RESULTS = ROOT / "bench/results"
PY_SPY = APP_PY.parent / "py-spy"
RATE_HZ = 250
# Phase of a sample: the first of these found walking from the outermost frame in.
PHASES = [
    ("tracker_store.py", "tracker store (read, save)"),
    ("_parse_message_with_graph", "NLU pipeline"),
    ("predict_next_with_tracker", "policies (next action)"),
    ("_run_action", "actions (HTTP to the action server, forms)"),
    ("lock_store.py", "lock store"),
    ("brokers/", "event broker"),
    ("sanic/", "HTTP server and the rest"),
]
# Component inside the NLU or the policies: the first of these found walking from the leaf out.
COMPONENTS = [
    ("onnx_encoder.py", "sentence embeddings (MiniLM + MPNet, ONNX)"),
    ("embedding_featurizer.py", "sentence embeddings (MiniLM + MPNet, ONNX)"),
    ("count_vectors_featurizer.py", "count vectors (words, character n-grams)"),
    ("regex_featurizer.py", "regex featurizer"),
    ("tokenizer.py", "tokenizer"),
    ("linear_intent_classifier.py", "intent classifier"),
    ("softmax_regression.py", "intent classifier"),
    ("crf_entity_extractor.py", "entities (CRF)"),
    ("lexicon_entities.py", "entities (lexicon, spaCy)"),
    ("regex_entity_extractor.py", "entities (regexes)"),
    ("entity_merger.py", "entities (merge)"),
    ("entity_synonyms.py", "entities (synonyms)"),
    ("fallback_classifier.py", "fallback, unclear, frustration"),
    ("unclear_messages.py", "fallback, unclear, frustration"),
    ("frustration.py", "fallback, unclear, frustration"),
    ("rule_policy.py", "rule policy"),
    ("memoization.py", "memoization policy"),
    ("ted_policy.py", "TED policy"),
    ("ensemble.py", "policy ensemble"),
]


# In the action server: the action module a sample is in, and what inside it.
ACTION_PARTS = [
    ("onnx_encoder.py", "KB query embedding"),
    ("kb_index/", "KB search"),
    ("httpx/", "HTTP calls (handoff API, Rasa)"),
    ("sqlalchemy/", "database"),
    ("rapidfuzz", "answer matching"),
]


def classify(frames: list[str], process: str = "rasa") -> tuple[str, str]:
    if process == "actions":
        # The action's own module: the outermost one below the server's dispatch; work handed to a
        # thread (the KB search) has none of those frames and is named by what it does.
        module = next((f for f in frames if "bot/actions/" in f and "bot/actions/server.py" not in f), None)
        part = next((name for f in reversed(frames) for pattern, name in ACTION_PARTS if pattern in f), "")
        if module is None:
            return (f"worker threads: {part}", "") if part else ("HTTP server and the rest", "")
        return "bot/actions/" + module.split("bot/actions/")[1].split(":")[0].rstrip(")"), part
    phase = next((name for pattern, name in PHASES for f in frames if pattern in f), "HTTP server and the rest")
    component = ""
    if phase in ("NLU pipeline", "policies (next action)"):
        component = next((name for f in reversed(frames) for pattern, name in COMPONENTS if pattern in f), "other")
    return phase, component


def read_samples(path: Path, process: str) -> Counter:
    """py-spy's raw output: one line per distinct stack, frames joined by ';', then its count."""
    counts: Counter = Counter()
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if stack and n.isdigit():
            counts[classify(stack.split(";"), process)] += int(n)
    return counts


def record(pid: int, out: Path) -> subprocess.Popen:
    # py-spy pauses the process for each sample (its --nonblocking mode takes an event loop waiting
    # for work for busy), so the totals include its overhead: read the shares.
    command = [str(PY_SPY), "record", "--pid", str(pid), "--rate", str(RATE_HZ), "--format", "raw"]
    command += ["--output", str(out)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    if process.returncode not in (0, -signal.SIGINT):
        raise SystemExit(f"py-spy failed ({process.returncode}): {err[-500:]}")


def profile(stack, name: str, turns: list[tuple[str, list[str], str]]) -> dict:  # noqa: ANN001
    """`turns`: (conversation_id, messages said first and not sampled, the sampled message)."""
    with httpx.Client(timeout=60) as client:
        for conversation_id, before, _ in turns:
            for text in before:
                send(client, stack, conversation_id, text)
        outs = {p: RESULTS / f".profile-{name}-{p}.txt" for p in ("rasa", "actions")}
        recorders = {p: record(stack.processes[p].pid, out) for p, out in outs.items()}
        time.sleep(1.5)  # py-spy attaches
        timings = [send(client, stack, conversation_id, text)[0] for conversation_id, _, text in turns]
        time.sleep(0.3)
        for process in recorders.values():
            stop(process)
    ms_per_sample = 1000 / RATE_HZ
    result = {"turns": len(turns), "p50_ms": round(sorted(timings)[len(timings) // 2], 1)}
    for process, out in outs.items():
        counts = read_samples(out, process)
        out.unlink()
        phases: Counter = Counter()
        components: Counter = Counter()
        for (phase, component), n in counts.items():
            phases[phase] += n
            if component:
                components[f"{phase}: {component}"] += n
        per_turn = ms_per_sample / len(turns)
        result[process] = {
            "cpu_ms_per_turn": round(sum(counts.values()) * per_turn, 1),
            "phases": {k: round(v * per_turn, 1) for k, v in phases.most_common()},
            "components": {k: round(v * per_turn, 1) for k, v in components.most_common()},
        }
    return result


def new_id(kind: str) -> str:
    return f"profile-{kind}-{uuid.uuid4().hex[:8]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--model", type=Path, default=ROOT / "models/nimbus.tar.gz")
    args = parser.parse_args()
    n, pool = args.turns, Messages()
    with running_stack(args.model, built_test_index(), UNLIMITED) as stack:
        with httpx.Client(timeout=60) as client:  # every code path once
            for text in pool.take(pool.mix, 6):
                send(client, stack, new_id("warm"), text)
        kinds = {
            "small talk": [(new_id("talk"), [], m) for m in pool.take(pool.small_talk, n)],
            "troubleshooting step": [
                (new_id("step"), ["my printer shows offline", "windows"], "wi-fi") for _ in range(n)
            ],
            "KB answer": [(new_id("kb"), [], m) for m in pool.take(pool.kb, n)],
            "handoff (ticket written)": [
                (new_id("handoff"), [m], "I want to talk to a person") for m in pool.take(pool.mix, n)
            ],
        }
        rows = {name: profile(stack, name.split()[0], turns) for name, turns in kinds.items()}
    result = {
        "benchmark": "turn_profile",
        "machine": {"cpus": os.cpu_count()},
        "sampler": f"py-spy {RATE_HZ} Hz, CPU samples only (waiting is not counted); totals include its pauses",
        "model": str(args.model.relative_to(ROOT) if args.model.is_relative_to(ROOT) else args.model),
        "rows": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "profile.json").write_text(json.dumps(result, indent=2) + "\n")
    for name, row in rows.items():
        print(f"\n{name}: {row['turns']} turns, p50 {row['p50_ms']} ms")
        for process in ("rasa", "actions"):
            part = row[process]
            print(f"  {process}: {part['cpu_ms_per_turn']} ms CPU per turn")
            for phase, ms in part["phases"].items():
                print(f"    {phase:52s} {ms:7.1f}")
            for component, ms in part["components"].items():
                print(f"      {component:50s} {ms:7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
