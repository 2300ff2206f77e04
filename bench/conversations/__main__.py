"""`make eval-conversations`: every scripted customer of tests/conversations/, tapping and typing,
over the REST channel of a freshly started stack; prints the table and writes
bench/results/conversations.json.

    .venvs/app/bin/python -m bench.conversations [--mode tap|typed|both] [--only REGEX] [--sample N]
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
import time
from pathlib import Path

from bench.conversations.customers import CUSTOMERS_DIR, check_customers, load_customers
from bench.conversations.report import summarise, table
from bench.conversations.runner import Runner, World
from bot.actions.flow_content import load_flows
from harness.scaled_stack import running_scaled_stack
from harness.stack import ROOT, built_test_index, running_stack
from kb_index.loading import load_articles

RESULTS = ROOT / "bench/results/conversations.json"


def sample(customers: list, n: int) -> list:
    """Every k-th customer, so that a sample spreads over every file."""
    if n <= 0 or n >= len(customers):
        return customers
    step = len(customers) / n
    return [customers[int(i * step)] for i in range(n)]


def evaluate(customers: list, modes: list[str], model: Path, verbose: bool = False, scaled: bool = False) -> dict:
    results: dict[str, dict] = {}
    outcomes: dict[str, list] = {}
    # The scaled setup runs the test model (harness/scaled_stack.py); compare it with --model of that.
    stack_cm = running_scaled_stack(2, 2) if scaled else running_stack(model, built_test_index())
    with stack_cm as stack:
        world = World(
            stack.rasa_url,
            stack.handoff_url,
            stack.bot_token,
            stack.outbox,
            Path(stack.env["ACCOUNTS_DB_PATH"]),
        )
        runner = Runner(world)
        for mode in modes:
            outcomes[mode] = []
            for customer in customers:
                world.backend().restore_seed()  # each customer meets the seeded demo accounts
                stack.reset_limits()  # and limits nobody has used yet
                outcome = runner.run(customer, mode)
                outcomes[mode].append(outcome)
                if verbose:
                    mark = "ok " if (outcome.solved or outcome.correct_escalation) else "NO "
                    print(f"{mark} {mode:5} {customer.id:40} turns={outcome.turns} {outcome.error or ''}", flush=True)
            results[mode] = summarise(outcomes[mode])
    return {"results": results, "outcomes": {m: [o.as_dict(True) for o in os_] for m, os_ in outcomes.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["tap", "typed", "both"], default="both")
    parser.add_argument("--customers", type=Path, default=CUSTOMERS_DIR, help="folder of customer YAML files")
    parser.add_argument("--only", help="regular expression on customer ids")
    parser.add_argument("--sample", type=int, default=0, help="run only N customers spread over the files")
    parser.add_argument("--model", type=Path, default=ROOT / "models/nimbus.tar.gz")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--transcripts", type=Path, help="also write every conversation to this JSON file")
    parser.add_argument("--check", action="store_true", help="only check the customer files, run nothing")
    parser.add_argument(
        "--scaled", action="store_true", help="through HAProxy to 2 Rasa and 2 action replicas (make run-scaled)"
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)

    customers = load_customers(args.customers)
    problems = check_customers(customers, load_flows(), {a.id for a in load_articles(ROOT / "kb/articles")})
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    if args.check:
        print(f"{len(customers)} customers in {args.customers}: every goal can be reached")
        return 0
    if args.only:
        customers = [c for c in customers if re.search(args.only, c.id)]
    customers = sample(customers, args.sample)
    modes = ["tap", "typed"] if args.mode == "both" else [args.mode]
    started = time.monotonic()
    run = evaluate(customers, modes, args.model, args.verbose, args.scaled)
    figures = {
        "what": "scripted customers over the REST channel of the real stack (tests/conversations/)",
        "customers_dir": str(
            args.customers.relative_to(ROOT) if args.customers.is_relative_to(ROOT) else args.customers
        ),
        "model": "the test model (scaled setup)" if args.scaled else args.model.name,
        "stack": "scaled: HAProxy, 2 Rasa + 2 action replicas" if args.scaled else "embedded (make run)",
        "machine": platform.platform(),
        "seconds": round(time.monotonic() - started, 1),
        **run["results"],
    }
    if args.scaled and args.out == RESULTS:
        args.out = RESULTS.with_name("conversations_scaled.json")
    elif args.customers.resolve() != CUSTOMERS_DIR.resolve() and args.out == RESULTS:
        # Another set of customers (the unseen ones) keeps its own figures beside the team's.
        args.out = RESULTS.with_name(f"conversations_{args.customers.name}.json")
    if args.out and not args.only and not args.sample:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, indent=2) + "\n")
    if args.transcripts:
        args.transcripts.write_text(json.dumps(run["outcomes"], indent=1) + "\n")
    print(table(run["results"]))
    for mode, result in run["results"].items():
        for f in result["failures"]:
            said, bot = f["last_said"], f["last_bot"][:120]
            print(f"  {mode:5} {f['customer']}: {f['why']} (turn {f['turns']}: {said!r} -> {bot!r})")
    print(f"{len(customers)} customers x {len(modes)} mode(s) in {figures['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
