"""The figures of a scripted-customer run, per mode, and the table `make eval-conversations` prints."""

from __future__ import annotations

import statistics
from collections.abc import Iterable

from bench.conversations.runner import Outcome

MAX_TURNS = 12


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def summarise(outcomes: Iterable[Outcome]) -> dict:
    outcomes = list(outcomes)
    solvable = [o for o in outcomes if o.solvable]
    wants_ticket = [o for o in outcomes if o.wants_ticket]
    declined = [o for o in outcomes if o.declined]
    latencies = [ms for o in outcomes for ms in o.latencies_ms]
    resolution = [o.turns_to_resolution for o in outcomes if o.turns_to_resolution is not None]
    by_style = {}
    for style in sorted({o.style for o in outcomes}):
        mine = [o for o in solvable if o.style == style]
        by_style[style] = {"solvable": len(mine), "deflected": sum(o.solved for o in mine)}
    return {
        "customers": len(outcomes),
        "solvable": len(solvable),
        "deflected": sum(o.solved for o in solvable),
        "deflection": _share(sum(o.solved for o in solvable), len(solvable)),
        "escalation_expected": len(wants_ticket),
        "escalated_correctly": sum(o.correct_escalation for o in wants_ticket),
        "correct_escalation": _share(sum(o.correct_escalation for o in wants_ticket), len(wants_ticket)),
        "declined_expected": len(declined),
        "declined_correctly": sum(o.solved for o in declined),
        "false_success_claims": sum(o.false_success for o in outcomes),
        "escalated_solvable": sum(o.escalated for o in solvable),
        "gave_up": sum(o.gave_up for o in outcomes),
        "errors": sum(o.error is not None for o in outcomes),
        "max_turns": max((o.turns for o in outcomes), default=0),
        "over_max_turns": sum(o.turns > MAX_TURNS for o in outcomes),
        "mean_turns_to_resolution": round(statistics.fmean(resolution), 2) if resolution else None,
        "turn_ms_p50": round(percentile(latencies, 0.5), 1),
        "turn_ms_p95": round(percentile(latencies, 0.95), 1),
        "turns_measured": len(latencies),
        "by_style": by_style,
        "failures": [failure(o) for o in outcomes if not ok(o)],
    }


def ok(o: Outcome) -> bool:
    if o.error or o.false_success or o.turns > MAX_TURNS:
        return False
    if o.wants_ticket:
        return o.correct_escalation
    return o.solved


def failure(o: Outcome) -> dict:
    if o.error:
        why = o.error
    elif o.wants_ticket and o.escalated:
        why = f"escalated as {o.ticket_reason}/{o.ticket_queue}"
    elif o.wants_ticket:
        why = "no ticket"
    elif o.escalated:
        why = f"escalated ({o.ticket_reason})"
    elif o.false_success:
        why = "success claimed without confirmation"
    elif o.gave_up:
        why = "customer ran out of patience" if o.turns > 1 else "customer left"
    elif o.turns > MAX_TURNS:
        why = f"{o.turns} turns"
    else:
        why = "not solved"
    last = o.transcript[-1] if o.transcript else None
    return {
        "customer": o.customer,
        "why": why,
        "turns": o.turns,
        "last_said": last.customer if last else "",
        "last_bot": " | ".join(last.bot)[:300] if last else "",
    }


def table(results: dict[str, dict]) -> str:
    rows = [
        ("customers", "customers", "{}"),
        ("deflection (solved, no ticket)", "deflection", "pct"),
        ("correct escalation", "correct_escalation", "pct"),
        ("out of scope declined", None, "declined"),
        ("false success claims", "false_success_claims", "{}"),
        ("solvable but escalated", "escalated_solvable", "{}"),
        ("gave up / errors", None, "gaveup"),
        ("longest conversation (turns)", "max_turns", "{}"),
        ("mean turns to resolution", "mean_turns_to_resolution", "{}"),
        ("turn latency p50 / p95 (ms)", None, "latency"),
    ]
    modes = list(results)
    lines = [f"{'':34}" + "".join(f"{m:>22}" for m in modes)]
    for label, key, fmt in rows:
        cells = []
        for m in modes:
            r = results[m]
            if fmt == "pct":
                value = r[key]
                num, den = (
                    (r["deflected"], r["solvable"])
                    if key == "deflection"
                    else (
                        r["escalated_correctly"],
                        r["escalation_expected"],
                    )
                )
                cells.append("—" if value is None else f"{value * 100:.1f}% ({num}/{den})")
            elif fmt == "declined":
                cells.append(f"{r['declined_correctly']}/{r['declined_expected']}")
            elif fmt == "gaveup":
                cells.append(f"{r['gave_up']} / {r['errors']}")
            elif fmt == "latency":
                cells.append(f"{r['turn_ms_p50']:.0f} / {r['turn_ms_p95']:.0f}")
            else:
                cells.append(fmt.format(r[key]))
        lines.append(f"{label:34}" + "".join(f"{c:>22}" for c in cells))
    return "\n".join(lines)
