"""The review inbox's flow section: customers' answers to a question (a troubleshooting flow's
diagnosis question, "did that fix it?", "did this help?") that matched none of its options, per
question, grouped by meaning like the rest of the inbox, most frequent first. Each group says what
those customers did next and which option they tapped (or were understood to mean) right after:
the strongest hint of what their words meant.

Answers already said for an option of that question, and answers marked as noise, are left out.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from insights.conversations import Conversation, FlowMiss
from insights.inbox import Message, MessageGroup, Occurrence, TextVectors, UnknownGroup, cluster, normalise


@dataclass
class AnswerGroup(MessageGroup):
    question: str = ""
    next: Counter[str] = field(default_factory=Counter)  # what the customers did next
    then: Counter[str] = field(default_factory=Counter)  # the option title they got through with

    @property
    def hint(self) -> str | None:
        """The option most of these customers chose right after, if any did."""
        return self.then.most_common(1)[0][0] if self.then else None

    def to_json(self, base_url: str = "") -> dict:
        return {
            "id": self.id,
            "count": self.count,
            "label": self.label,
            "messages": [{"text": m.text, "count": m.count} for m in self.messages],
            "next": dict(self.next.most_common()),
            "then_chose": dict(self.then.most_common()),
            "conversations": [
                base_url + o.link
                for o in sorted((o for m in self.messages for o in m.occurrences), key=lambda o: o.time)
            ],
        }


@dataclass
class QuestionSection:
    question: str
    asked: str
    options: dict[str, str]  # value -> title
    flows: list[str]
    groups: list[AnswerGroup]

    @property
    def count(self) -> int:
        return sum(g.count for g in self.groups)

    def option_for(self, wanted: str) -> str:
        """An option's value from its value or its button title (what a writer types or picks)."""
        for value, title in self.options.items():
            if wanted.strip().lower() in (value.lower(), title.lower()):
                return value
        raise UnknownGroup(f"{self.question!r} has no option {wanted!r} (options: {', '.join(self.options)})")

    def to_json(self, base_url: str = "") -> dict:
        return {
            "question": self.question,
            "asked": self.asked,
            "options": self.options,
            "flows": self.flows,
            "count": self.count,
            "groups": [g.to_json(base_url) for g in self.groups],
        }


@dataclass
class FlowInbox:
    sections: list[QuestionSection]
    handled: int = 0  # answers left out: already an option's phrase, or marked as noise

    def find(self, group_id: str) -> tuple[QuestionSection, AnswerGroup]:
        wanted = group_id.strip().lower()
        for section in self.sections:
            for group in section.groups:
                if group.id == wanted:
                    return section, group
        ids = ", ".join(g.id for s in self.sections for g in s.groups) or "none"
        raise UnknownGroup(f"no unmatched-answer group {group_id!r} in this period (groups: {ids})")


def _group_id(question: str, messages: list[Message]) -> str:
    first = min(messages, key=lambda m: (m.first_seen, m.key))
    return hashlib.sha256(f"{question}\n{first.key}".encode()).hexdigest()[:10]


def build_flow_inbox(
    conversations: Iterable[Conversation],
    vectors: TextVectors,
    similarity: float,
    handled: dict[str, set[str]] | None = None,
) -> FlowInbox:
    """`handled`: per question, normalised answers to leave out (its options' phrases, noise)."""
    handled = handled or {}
    by_question: dict[str, list[FlowMiss]] = {}
    for c in conversations:
        for miss in c.flow_misses:
            by_question.setdefault(miss.question, []).append(miss)
    sections, left_out = [], 0
    for question, misses in by_question.items():
        messages: dict[str, Message] = {}
        outcomes: dict[str, list[FlowMiss]] = {}
        for miss in misses:
            key = normalise(miss.text)
            if not key:
                continue
            if key in handled.get(question, set()):
                left_out += 1
                continue
            message = messages.setdefault(key, Message(key))
            message.occurrences.append(Occurrence(miss.conversation_id, miss.event_id, miss.time, miss.text))
            outcomes.setdefault(key, []).append(miss)
        groups = []
        for members in cluster(list(messages.values()), vectors, similarity):
            members.sort(key=lambda m: (-m.count, -m.last_seen.timestamp(), m.key))
            group = AnswerGroup(_group_id(question, members), members, question)
            for m in members:
                for miss in outcomes[m.key]:
                    group.next[miss.next] += 1
                    if miss.then_option:
                        group.then[miss.then_option] += 1
            groups.append(group)
        if not groups:
            continue
        groups.sort(key=lambda g: (-g.count, -g.last_seen.timestamp(), g.id))
        latest = max(misses, key=lambda m: m.time)
        sections.append(
            QuestionSection(question, latest.asked, latest.options, sorted({m.flow for m in misses if m.flow}), groups)
        )
    sections.sort(key=lambda s: (-s.count, s.question))
    return FlowInbox(sections, left_out)
