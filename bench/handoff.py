"""Ticket creations per second and latency of the handoff API with concurrent clients, on SQLite
and PostgreSQL side by side. Each backend gets a real uvicorn process (one worker, as `make run`
starts it) on a fresh database; every request is a realistic escalation (12 turns, a secret to
redact, its own Idempotency-Key). Writes bench/results/handoff.json.

    make bench-handoff      (or: .venvs/app/bin/python -m bench.handoff --requests 400)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx

from harness.stack import ROOT, free_port, stop_process

RESULTS = ROOT / "bench/results"
PG_SERVER = os.environ.get("TIER0_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
TOKEN = secrets.token_urlsafe(24)  # the service refuses short or known tokens
CONCURRENCY = (1, 8, 32)


def escalation(n: int) -> dict:
    """What the bot sends after a failed Wi-Fi troubleshooting: 12 turns, slots, steps, articles."""
    turns = []
    lines = [
        ("customer", "hi, my wifi keeps dropping every evening", "wifi_dropout", 0.93),
        ("bot", "Sorry to hear that. Which device is it?", None, None),
        ("customer", "my laptop, windows 11", "inform", 0.88),
        ("bot", "Does it happen on every device or just this one?", None, None),
        ("customer", "all of them, since last week", "inform", 0.81),
        ("bot", "Please restart your router: unplug it for 30 seconds.", None, None),
        ("customer", "done, still dropping", "deny", 0.95),
        ("bot", "Change the Wi-Fi channel in the router settings to 1, 6 or 11.", None, None),
        ("customer", "router admin password is Hunter2xyz but that did not help", "deny", 0.77),
        ("bot", "I'm sorry that did not fix it. I'll pass this to a person.", None, None),
        ("customer", "ok thanks", "thank", 0.99),
        ("bot", "Your ticket is on its way.", None, None),
    ]
    for i, (sender, text, intent, confidence) in enumerate(lines):
        turn = {"time": f"2026-11-24T09:{i:02d}:00Z", "sender": sender, "text": text}
        if sender == "customer":
            turn |= {"intent": intent, "confidence": confidence, "entities": []}
        turns.append(turn)
    return {
        "conversation_id": f"bench-{n}",
        "reason": "repeated_failure",
        "summary": "Troubleshooting did not solve the problem. Diagnosis: Wi-Fi keeps dropping (device: laptop).",
        "customer_email": f"customer{n}@example.com",
        "customer_verified": n % 2 == 0,
        "transcript": turns,
        "slots": {"q_device": "laptop", "q_os": "Windows", "q_scope": "all", "ts_flow": "wifi_dropout"},
        "steps_tried": [
            {"step": "Restart the router (wifi_dropout/restart)", "outcome": "not_fixed", "at": "2026-11-24T09:06"},
            {"step": "Change the channel (wifi_dropout/channel)", "outcome": "not_fixed", "at": "2026-11-24T09:08"},
        ],
        "kb_articles": ["wifi-keeps-dropping"],
    }


@contextmanager
def database(backend: str, workdir: Path):
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    import psycopg

    schema = f"bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield PG_SERVER.replace("postgresql://", "postgresql+psycopg://") + f"?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_SERVER, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def server(database_url: str, workdir: Path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HANDOFF_", "WEBHOOK_", "DATABASE_"))}
    env |= {"DATABASE_URL": database_url, "HANDOFF_BOT_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
    env |= {"STAFF_SESSION_SECRET": "bench", "KB_DRAFTS_DIR": str(workdir / "drafts")}
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "handoff_api.main:create_app", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--no-access-log"]
    log = workdir / f"uvicorn-{port}.log"
    proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"handoff API did not start:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        yield url, log
    finally:
        stop_process(proc)


async def run_level(url: str, concurrency: int, requests: int, offset: int) -> dict:
    latencies: list[float] = []
    errors = 0
    kinds: dict[str, int] = {}
    next_n = iter(range(offset, offset + requests))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": f"Bearer {TOKEN}"}

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:

        async def worker() -> None:
            nonlocal errors
            for n in next_n:
                started = time.perf_counter()
                try:
                    r = await client.post(
                        "/api/tickets", json=escalation(n), headers=headers | {"Idempotency-Key": str(uuid.uuid4())}
                    )
                    failed = r.status_code != 201
                except httpx.HTTPError as exc:  # counted, and the run goes on
                    failed = True
                    kinds[type(exc).__name__] = kinds.get(type(exc).__name__, 0) + 1
                latencies.append(time.perf_counter() - started)
                errors += failed

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "concurrency": concurrency,
        "requests": requests,
        "errors": errors,
        "transport_errors": kinds,
        "seconds": round(wall, 2),
        "tickets_per_s": round(requests / wall, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
        "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))] * 1000, 1),
    }


def pg_unreachable() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_SERVER, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # report why and go on with SQLite
        return str(exc).strip()[:200]
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="ticket creations per concurrency level")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"]
    skipped = {}
    if reason := pg_unreachable():
        skipped["postgresql"] = reason
        backends.remove("postgresql")
    rows = []
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="tier0-bench-handoff-") as tmp:
            workdir = Path(tmp)
            with database(backend, workdir) as url, server(url, workdir) as (api, log):
                asyncio.run(run_level(api, 4, 40, 10_000_000))  # warm-up: connections, caches
                for i, concurrency in enumerate(CONCURRENCY):
                    row = {"backend": backend} | asyncio.run(run_level(api, concurrency, args.requests, i * 1_000_000))
                    rows.append(row)
                    print(f"  {backend:<10} c={concurrency:<3} {row['tickets_per_s']:>7} tickets/s", flush=True)
                    if row["errors"]:
                        print(
                            f"  {row['errors']} errors {row['transport_errors']}; server log:",
                            log.read_text()[-2000:],
                        )
    result = {
        "what": "POST /api/tickets (12-turn escalation, redaction, audit row, Idempotency-Key) against one "
        "uvicorn worker; clients in the same machine",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            # Other work on the machine during the run (1, 5, 15 min); the figures are CPU-bound.
            "load_average": [round(x, 2) for x in os.getloadavg()],
        },
        "requests_per_level": args.requests,
        "results": rows,
        "skipped": skipped,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "handoff.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"\n{'backend':<11}{'clients':>8}{'tickets/s':>11}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for r in rows:
        print(
            f"{r['backend']:<11}{r['concurrency']:>8}{r['tickets_per_s']:>11}{r['p50_ms']:>9}"
            f"{r['p95_ms']:>9}{r['p99_ms']:>9}{r['errors']:>8}"
        )
    for backend, reason in skipped.items():
        print(f"{backend}: skipped ({reason})")
    print(f"\nwritten to {RESULTS / 'handoff.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
