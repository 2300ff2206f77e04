"""The review inbox and the support analytics from the shell (the same as the staff pages
/staff/inbox and /staff/analytics):

    python -m insights analytics --from 2026-11-01 --to 2026-11-30 [--json]
    python -m insights inbox [--from ... --to ...] [--json]
    python -m insights inbox assign GROUP_ID INTENT     # the group's messages become training examples
    python -m insights inbox kb-stub GROUP_ID [--title "..."]   # an article stub in KB_DRAFTS_DIR
    python -m insights inbox variants GROUP_ID OPTION [--yes]   # unmatched flow answers -> an option's phrases
    python -m insights inbox noise GROUP_ID             # unmatched flow answers that are no answer

Dates are whole days in BUSINESS_TIMEZONE, both included; without them the last
INSIGHTS_INBOX_DAYS days (30). Settings as for the service: TRACKER_DB_URL, DATABASE_URL, ... (.env).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any
from zoneinfo import ZoneInfo

from insights.flow_inbox import FlowInbox
from insights.flow_variants import VariantError
from insights.inbox import Inbox, UnknownGroup
from insights.metrics import Analytics
from insights.nlu_export import ExportError
from insights.period import InvalidRange
from insights.service import Insights
from insights.settings import InsightsSettings
from insights.tracker_events import StoreUnavailable

TOP_QUESTIONS = 10


def _period_options(parser: argparse.ArgumentParser, default: Any = None) -> None:
    parser.add_argument("--from", dest="first", metavar="YYYY-MM-DD", default=default, help="first day (included)")
    parser.add_argument("--to", dest="last", metavar="YYYY-MM-DD", default=default, help="last day (included)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m insights", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    analytics = commands.add_parser("analytics", help="containment, handoffs, fallbacks, CSAT, FCR... for a range")
    _period_options(analytics)
    analytics.add_argument("--json", action="store_true", help="machine-readable output")
    inbox = commands.add_parser("inbox", help="what the bot did not understand, grouped")
    _period_options(inbox)
    inbox.add_argument("--json", action="store_true", help="machine-readable output")
    actions = inbox.add_subparsers(dest="action")
    assign = actions.add_parser("assign", help="append a group's messages to an intent's training examples")
    assign.add_argument("group_id")
    assign.add_argument("intent")
    # SUPPRESS: a value given before the action (inbox --from X assign ...) is not overwritten.
    _period_options(assign, argparse.SUPPRESS)
    stub = actions.add_parser("kb-stub", help="mark a group 'needs a KB article': write an article stub")
    stub.add_argument("group_id")
    stub.add_argument("--title", default=None, help="article title (default: the group's most frequent message)")
    _period_options(stub, argparse.SUPPRESS)
    variants = actions.add_parser(
        "variants", help="add a group of unmatched flow answers to an option's phrases (shows the diff first)"
    )
    variants.add_argument("group_id")
    variants.add_argument("option", help="the option's value or button title")
    variants.add_argument("--yes", action="store_true", help="write it (without: only show the diff)")
    _period_options(variants, argparse.SUPPRESS)
    noise = actions.add_parser("noise", help="mark a group of unmatched flow answers as noise")
    noise.add_argument("group_id")
    _period_options(noise, argparse.SUPPRESS)
    return parser


def _print_analytics(a: Analytics) -> None:
    print(f"Support analytics {a.period.first} to {a.period.last} ({a.period.zone.key})")
    print(f"  Conversations                     {a.conversations} ({a.support_conversations} with a support problem)")
    rows = [
        ("Containment (deflection) rate", a.containment),
        ("Handoff rate", a.handoff),
        *((f"  handed over: {reason.replace('_', ' ')}", ratio) for reason, ratio in a.handoff_by_reason.items()),
        ("Fallback rate", a.fallback),
        ("A flow question was not understood", a.flow_not_understood),
        ("Out-of-scope rate", a.out_of_scope),
        ("CSAT response rate", a.csat_response),
        ("First-contact resolution (proxy)", a.fcr),
    ]
    for label, ratio in rows:
        print(f"  {label:<34}{ratio.percent():>7}  ({ratio.numerator} of {ratio.denominator})")
    average = "–" if a.csat_average is None else f"{a.csat_average:.2f}"
    spread = ", ".join(f"{v}: {n}" for v, n in a.csat_distribution.items())
    print(f"  {'CSAT average':<34}{average:>7}  ({a.csat_count} ratings; {spread})")
    turns = "–" if a.avg_turns_resolved is None else f"{a.avg_turns_resolved:.1f}"
    print(f"  {'Turns per resolved conversation':<34}{turns:>7}  ({a.resolved} resolved)")
    print("  Top intents: " + (", ".join(f"{i} ({n})" for i, n in a.top_intents) or "none"))
    print("  Top unanswered: " + ("; ".join(f"{g.label!r} x{g.count} [{g.id}]" for g in a.top_unanswered) or "none"))
    if a.questions:
        print("  Where customers get stuck (asked / not understood / dropped off / handed over):")
        for q in a.questions[:TOP_QUESTIONS]:
            print(
                f"    {q.label[:48]:<48} {q.asked:>5} {q.not_understood.percent():>7} {q.dropped.percent():>7}"
                f" {q.handed_over.percent():>7}"
            )
    print("  Per day (conversations / contained / handoffs / fallbacks):")
    for d in a.trend:
        print(f"    {d.day}  {d.conversations:>4} {d.contained:>4} {d.handoffs:>4} {d.fallbacks:>4}")
    print("\nDefinitions:")
    for d in a.definitions:
        print(f"  {d.label}: {d.sentence}")


def _print_inbox(inbox: Inbox, base_url: str, zone: ZoneInfo) -> None:
    if not inbox.groups:
        print("The review inbox is empty.")
    for g in inbox.groups:
        reasons = ", ".join(f"{r} {n}" for r, n in g.reasons.most_common())
        print(f"[{g.id}] {g.count} x {g.label!r}  (last {g.last_seen.astimezone(zone):%Y-%m-%d %H:%M}; {reasons})")
        for m in g.messages:
            print(f"    {m.count} x {m.text}")
        for o in g.occurrences[:5]:
            print(f"    -> {base_url}{o.link}")
    if inbox.handled:
        print(f"({inbox.handled} message(s) already in the training data or a KB article/draft are not shown.)")


def _print_flow_inbox(flow_inbox: FlowInbox, base_url: str) -> None:
    if not flow_inbox.sections:
        print("\nNo flow answer went un-understood.")
    for section in flow_inbox.sections:
        flows = f" ({', '.join(section.flows)})" if section.flows else ""
        print(f"\nNot understood as an answer to {section.asked!r} [{section.question}]{flows}: {section.count}")
        print("    options: " + ", ".join(f"{v} = {t!r}" for v, t in section.options.items()))
        for g in section.groups:
            hint = f"; then chose {g.hint!r}" if g.hint else ""
            nexts = ", ".join(f"{n} {k}" for k, n in g.next.most_common())
            print(f"  [{g.id}] {g.count} x {g.label!r}  ({nexts}{hint})")
            for m in g.messages:
                print(f"      {m.count} x {m.text}")
            for o in sorted((o for m in g.messages for o in m.occurrences), key=lambda o: o.time)[-3:]:
                print(f"      -> {base_url}{o.link}")
    if flow_inbox.handled:
        print(f"({flow_inbox.handled} answer(s) an option already says, or marked as noise, are not shown.)")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = InsightsSettings()
    insights = Insights(settings)
    base_url = settings.handoff_api_url.rstrip("/")
    try:
        period = insights.period(args.first, args.last)
        if args.command == "analytics":
            result = insights.analytics(period)
            print(json.dumps(result.to_json(), indent=2)) if args.json else _print_analytics(result)
        elif args.action is None:
            conversations = insights.conversations(period.start, period.end)
            inbox = insights.inbox(period, conversations)
            flow_inbox = insights.flow_inbox(period, conversations)
            if args.json:
                payload = {
                    "from": period.first.isoformat(),
                    "to": period.last.isoformat(),
                    "handled": inbox.handled,
                    "groups": [g.to_json(base_url) for g in inbox.groups],
                    "flow_questions": [s.to_json(base_url) for s in flow_inbox.sections],
                }
                print(json.dumps(payload, indent=2, ensure_ascii=False))
            else:
                _print_inbox(inbox, base_url, settings.zone)
                _print_flow_inbox(flow_inbox, base_url)
        elif args.action == "variants":
            result = insights.add_variants(period, args.group_id, args.option, write=args.yes)
            if result.diff:
                print(result.diff, end="" if result.diff.endswith("\n") else "\n")
            print(result.summary())
            if result.added and not args.yes:
                print("Nothing written yet: run again with --yes to save it.")
        elif args.action == "noise":
            print(insights.mark_noise(period, args.group_id))
        elif args.action == "assign":
            print(insights.assign(period, args.group_id, args.intent).summary())
        else:
            print(insights.kb_stub(period, args.group_id, args.title).summary())
    except InvalidRange as exc:
        parser.error(str(exc))
    except (UnknownGroup, ExportError, VariantError, StoreUnavailable, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        insights.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
