"""The support leads' figures, each with its one-sentence definition kept here as data: the staff
page, the CLI and docs/insights.md say the same thing (tests/insights/test_metrics.py checks
the page)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from insights.conversations import Conversation
from insights.period import Period

CSAT_VALUES = (1, 2, 3, 4, 5)
TOP_N = 10


@dataclass(frozen=True)
class Definition:
    key: str
    label: str
    sentence: str


def definitions(fcr_days: int = 7) -> tuple[Definition, ...]:
    return (
        Definition(
            "conversations",
            "Conversations",
            "A conversation is one chat session of one customer (a new one starts after an hour of silence), "
            "counted on the day of its first message.",
        ),
        Definition(
            "containment_rate",
            "Containment (deflection) rate",
            "Of the conversations in which the customer raised a support problem, the share the bot resolved "
            "(the customer confirmed it was solved) without handing over to a person.",
        ),
        Definition(
            "handoff_rate",
            "Handoff rate by reason",
            "The share of conversations handed over to a person, in total and by the reason on the ticket.",
        ),
        Definition(
            "fallback_rate",
            "Fallback rate",
            "The share of conversations in which the bot did not understand the customer at least once "
            '(it had to ask "did you mean...?").',
        ),
        Definition(
            "flow_not_understood_rate",
            "A flow question was not understood",
            "The share of conversations in which the customer's answer to a question the bot asked (a "
            'troubleshooting question, "did that fix it?", "did this help?") matched none of its options at least '
            "once, so the bot had to ask again.",
        ),
        Definition(
            "out_of_scope_rate",
            "Out-of-scope rate",
            "The share of conversations in which the customer asked for something the bot does not handle.",
        ),
        Definition(
            "csat",
            "CSAT",
            "The average of the 1-5 ratings customers gave when the bot asked after a solved problem, "
            "with how many gave each rating.",
        ),
        Definition(
            "csat_response_rate",
            "CSAT response rate",
            "Of the conversations in which the bot asked for a rating, the share in which the customer gave one.",
        ),
        Definition(
            "fcr_rate",
            "First-contact resolution (proxy)",
            f"Of the resolved conversations, the share after which the same customer (same chat, or the same "
            f"verified email) did not start another conversation within {fcr_days} days.",
        ),
        Definition(
            "avg_turns_resolved",
            "Turns per resolved conversation",
            "The average number of messages the customer sent (typed or tapped) in a resolved conversation.",
        ),
        Definition(
            "top_intents",
            "Top intents",
            "The support problems customers raised most often, each counted once per conversation.",
        ),
        Definition(
            "top_unanswered",
            "Top unanswered groups",
            "The largest groups of similar customer messages the bot could not handle, from the review inbox.",
        ),
        Definition(
            "stuck_questions",
            "Where customers get stuck",
            "For each question the bot asks: how often it was asked, the share of those times an answer was not "
            "understood, the share after which the customer sent nothing more, and the share followed by a "
            "handoff before the next question.",
        ),
        Definition(
            "trend",
            "Trend per day",
            "For each day of the range: conversations, how many were contained, handed over, and had a fallback.",
        ),
    )


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    def percent(self) -> str:
        return "–" if self.value is None else f"{100 * self.value:.1f}%"

    def to_json(self) -> dict[str, Any]:
        value = self.value
        return {
            "value": None if value is None else round(value, 4),
            "numerator": self.numerator,
            "denominator": self.denominator,
        }


@dataclass(frozen=True)
class DayTrend:
    day: dt.date
    conversations: int
    contained: int
    handoffs: int
    fallbacks: int


@dataclass(frozen=True)
class UnansweredGroup:
    id: str
    label: str
    count: int


@dataclass(frozen=True)
class QuestionStats:
    question: str
    label: str  # the question as customers saw it, when known
    asked: int
    not_understood: Ratio  # asks with an answer that matched no option
    dropped: Ratio  # asks after which the customer said nothing more
    handed_over: Ratio  # asks followed by a handoff before the next question

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "label": self.label,
            "asked": self.asked,
            "not_understood_rate": self.not_understood.to_json(),
            "drop_off_rate": self.dropped.to_json(),
            "handoff_rate": self.handed_over.to_json(),
        }


@dataclass
class Analytics:
    period: Period
    fcr_days: int
    conversations: int
    support_conversations: int
    containment: Ratio
    handoff: Ratio
    handoff_by_reason: dict[str, Ratio]
    fallback: Ratio
    flow_not_understood: Ratio
    out_of_scope: Ratio
    csat_distribution: dict[int, int]
    csat_response: Ratio
    fcr: Ratio
    resolved: int
    turns_resolved: int
    top_intents: list[tuple[str, int]]
    trend: list[DayTrend]
    top_unanswered: list[UnansweredGroup] = field(default_factory=list)
    questions: list[QuestionStats] = field(default_factory=list)

    @property
    def csat_count(self) -> int:
        return sum(self.csat_distribution.values())

    @property
    def csat_average(self) -> float | None:
        count = self.csat_count
        return sum(v * n for v, n in self.csat_distribution.items()) / count if count else None

    @property
    def avg_turns_resolved(self) -> float | None:
        return self.turns_resolved / self.resolved if self.resolved else None

    @property
    def definitions(self) -> tuple[Definition, ...]:
        return definitions(self.fcr_days)

    def to_json(self) -> dict[str, Any]:
        average = self.csat_average
        turns = self.avg_turns_resolved
        return {
            "from": self.period.first.isoformat(),
            "to": self.period.last.isoformat(),
            "timezone": self.period.zone.key,
            "conversations": self.conversations,
            "support_conversations": self.support_conversations,
            "containment_rate": self.containment.to_json(),
            "handoff_rate": self.handoff.to_json(),
            "handoff_by_reason": {reason: r.to_json() for reason, r in self.handoff_by_reason.items()},
            "fallback_rate": self.fallback.to_json(),
            "flow_not_understood_rate": self.flow_not_understood.to_json(),
            "out_of_scope_rate": self.out_of_scope.to_json(),
            "csat": {
                "average": None if average is None else round(average, 3),
                "count": self.csat_count,
                "distribution": {str(v): n for v, n in self.csat_distribution.items()},
            },
            "csat_response_rate": self.csat_response.to_json(),
            "fcr_rate": self.fcr.to_json() | {"window_days": self.fcr_days},
            "avg_turns_resolved": {
                "value": None if turns is None else round(turns, 3),
                "turns": self.turns_resolved,
                "resolved_conversations": self.resolved,
            },
            "top_intents": [{"intent": i, "conversations": n} for i, n in self.top_intents],
            "top_unanswered": [{"group": g.id, "label": g.label, "count": g.count} for g in self.top_unanswered],
            "stuck_questions": [q.to_json() for q in self.questions],
            "trend": [
                {
                    "day": d.day.isoformat(),
                    "conversations": d.conversations,
                    "contained": d.contained,
                    "handoffs": d.handoffs,
                    "fallbacks": d.fallbacks,
                }
                for d in self.trend
            ],
            "definitions": {d.key: {"label": d.label, "definition": d.sentence} for d in self.definitions},
        }


def same_customer(a: Conversation, b: Conversation) -> bool:
    """The same chat (conversation id), or two chats in which the customer verified the same email."""
    return a.conversation_id == b.conversation_id or (
        a.verified_email is not None and a.verified_email == b.verified_email
    )


def resolved_at_first_contact(c: Conversation, everyone: list[Conversation], days: int) -> bool:
    if c.started_at is None or c.ended_at is None:
        return False
    until = c.ended_at + dt.timedelta(days=days)
    return not any(
        other is not c
        and other.started_at is not None
        and c.started_at < other.started_at <= until
        and same_customer(c, other)
        for other in everyone
    )


def question_stats(conversations: list[Conversation]) -> list[QuestionStats]:
    """Per question asked, worst first (most often not understood, then most dropped)."""
    asks: dict[str, list] = {}
    labels: dict[str, str] = {}
    for c in conversations:
        for ask in c.asks:
            asks.setdefault(ask.question, []).append(ask)
        for miss in c.flow_misses:
            labels[miss.question] = miss.asked
    stats = [
        QuestionStats(
            question,
            labels.get(question, question.replace("_", " ")),
            len(its),
            Ratio(sum(a.not_understood > 0 for a in its), len(its)),
            Ratio(sum(not a.answered for a in its), len(its)),
            Ratio(sum(a.handed_over for a in its), len(its)),
        )
        for question, its in asks.items()
    ]
    return sorted(stats, key=lambda q: (-(q.not_understood.value or 0), -(q.dropped.value or 0), -q.asked, q.question))


def compute(
    conversations: list[Conversation],
    period: Period,
    fcr_days: int = 7,
    top_unanswered: list[UnansweredGroup] | None = None,
) -> Analytics:
    """The figures for the conversations that began in `period`. `conversations` may hold later
    ones too (up to `fcr_days` after the period): first-contact resolution looks ahead at them."""
    chosen = [c for c in conversations if c.started_at is not None and period.contains(c.started_at)]
    total = len(chosen)
    support = [c for c in chosen if c.support_intents]
    resolved = [c for c in chosen if c.resolved]
    asked = [c for c in chosen if c.csat_asked]
    reasons = Counter(reason for c in chosen for reason in set(c.handoff_reasons))
    intents = Counter(intent for c in chosen for intent in c.support_intents)
    ratings = Counter(score for c in chosen for score in c.csat_scores if score in CSAT_VALUES)
    days = {day: [] for day in period.each_day()}
    for c in chosen:
        days[period.day_of(c.started_at)].append(c)  # type: ignore[arg-type]
    return Analytics(
        period=period,
        fcr_days=fcr_days,
        conversations=total,
        support_conversations=len(support),
        containment=Ratio(sum(c.contained for c in support), len(support)),
        handoff=Ratio(sum(c.handed_over for c in chosen), total),
        handoff_by_reason={
            reason: Ratio(n, total) for reason, n in sorted(reasons.items(), key=lambda x: (-x[1], x[0]))
        },
        fallback=Ratio(sum(c.fell_back for c in chosen), total),
        flow_not_understood=Ratio(sum(c.flow_question_not_understood for c in chosen), total),
        out_of_scope=Ratio(sum(c.out_of_scope for c in chosen), total),
        csat_distribution={v: ratings.get(v, 0) for v in CSAT_VALUES},
        csat_response=Ratio(sum(bool(c.csat_scores) for c in asked), len(asked)),
        fcr=Ratio(sum(resolved_at_first_contact(c, conversations, fcr_days) for c in resolved), len(resolved)),
        resolved=len(resolved),
        turns_resolved=sum(len(c.customer_turns) for c in resolved),
        top_intents=sorted(intents.items(), key=lambda x: (-x[1], x[0]))[:TOP_N],
        trend=[
            DayTrend(
                day,
                len(cs),
                sum(c.contained for c in cs),
                sum(c.handed_over for c in cs),
                sum(c.fell_back for c in cs),
            )
            for day, cs in days.items()
        ],
        top_unanswered=list(top_unanswered or [])[:TOP_N],
        questions=question_stats(chosen),
    )
