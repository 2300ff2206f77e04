"""What the CLI and the staff pages ask for, in one place: conversations of a period, the analytics,
the review inbox, one customer's conversations, and the two writer actions on an inbox group."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import Engine

from bot.actions.flow_content import load_flows
from insights.conversations import Conversation, fold
from insights.flow_inbox import FlowInbox, build_flow_inbox
from insights.flow_variants import VariantResult, add_variants, answered_phrases, mark_noise
from insights.handoff_reasons import attach_handoff_reasons
from insights.inbox import Inbox, TextVectors, build_inbox, handled_texts
from insights.kb_stub import StubResult, create_stub
from insights.metrics import Analytics, UnansweredGroup, compute
from insights.nlu_export import ExportResult, assign, check_intent, domain_intents
from insights.period import Period
from insights.settings import InsightsSettings
from insights.tracker_events import read_events, read_only_engine
from kb_index.embedding import Embedder, make_embedder

# A session that began shortly before the period is read whole; sessions end after an hour of
# silence (domain.yml session_config), so a day of look-back is plenty.
LOOK_BACK = dt.timedelta(days=1)


class Insights:
    def __init__(self, settings: InsightsSettings, embedder_factory: Callable[[str], Embedder] = make_embedder) -> None:
        self.settings = settings
        self._embedder_factory = embedder_factory
        self._vectors: TextVectors | None = None
        self._engines: dict[str, Engine] = {}
        self._lock = threading.Lock()

    # --- plumbing -------------------------------------------------------------------------
    def _engine(self, url: str) -> Engine:
        # Made on first use and kept: a tracker store that does not exist yet (nobody has chatted)
        # is an error now and fine later.
        with self._lock:
            if url not in self._engines:
                self._engines[url] = read_only_engine(url)
            return self._engines[url]

    @property
    def vectors(self) -> TextVectors:
        with self._lock:
            if self._vectors is None:
                self._vectors = TextVectors(self._embedder_factory(self.settings.kb_embedding_model))
            return self._vectors

    def close(self) -> None:
        for engine in self._engines.values():
            engine.dispose()

    def period(self, first: str | None, last: str | None, today: dt.date | None = None) -> Period:
        """From the strings a person typed; without them the last INSIGHTS_INBOX_DAYS days."""
        return Period.parse(first, last, self.settings.zone, self.settings.insights_inbox_days, today)

    # --- reading ---------------------------------------------------------------------------
    def conversations(
        self, start: dt.datetime | None, end: dt.datetime | None, conversation_id: str | None = None
    ) -> list[Conversation]:
        events = read_events(
            self._engine(self.settings.tracker_db_url),
            start - LOOK_BACK if start else None,
            end,
            [conversation_id] if conversation_id is not None else None,
        )
        conversations = fold(events, self.settings.low_confidence)
        if any(c.handoffs for c in conversations):
            attach_handoff_reasons(conversations, self._engine(self.settings.database_url))
        return conversations

    def customer(self, conversation_id: str) -> list[Conversation]:
        """Every conversation (Rasa session) of one chat, oldest first."""
        return self.conversations(None, None, conversation_id=conversation_id)

    def handled(self) -> frozenset[str]:
        s = self.settings
        return handled_texts(s.nlu_data_dir, s.kb_source_dir, s.kb_drafts_dir)

    def inbox(self, period: Period, conversations: list[Conversation] | None = None) -> Inbox:
        if conversations is None:
            conversations = self.conversations(period.start, period.end)
        chosen = [c for c in conversations if c.started_at and period.contains(c.started_at)]
        return build_inbox(chosen, self.vectors, self.settings.insights_group_similarity, self.handled())

    def flow_inbox(self, period: Period, conversations: list[Conversation] | None = None) -> FlowInbox:
        """Answers to flow questions that matched no option, per question, grouped."""
        if conversations is None:
            conversations = self.conversations(period.start, period.end)
        chosen = [c for c in conversations if c.started_at and period.contains(c.started_at)]
        return build_flow_inbox(
            chosen,
            self.vectors,
            self.settings.insights_group_similarity,
            answered_phrases(self.settings.bot_flows_dir),
        )

    def inboxes(self, period: Period) -> tuple[Inbox, FlowInbox]:
        """Both sections of the review inbox from one read of the tracker store."""
        conversations = self.conversations(period.start, period.end)
        return self.inbox(period, conversations), self.flow_inbox(period, conversations)

    def teachable_questions(self) -> set[str]:
        """The questions whose options live in the flow files (new answers can be added there)."""
        return set(load_flows(self.settings.bot_flows_dir).questions)

    def analytics(self, period: Period) -> Analytics:
        window = dt.timedelta(days=self.settings.insights_fcr_days)
        conversations = self.conversations(period.start, period.end + window)
        inbox = self.inbox(period, conversations)
        top = sorted(inbox.groups, key=lambda g: (-g.count, -g.last_seen.timestamp()))
        return compute(
            conversations,
            period,
            self.settings.insights_fcr_days,
            [UnansweredGroup(g.id, g.label, g.count) for g in top],
        )

    def intents(self) -> list[str]:
        return domain_intents(self.settings.domain_path)

    # --- writing (only on a writer's explicit choice) ---------------------------------------
    def assign(self, period: Period, group_id: str, intent: str, nlu_dir: Path | None = None) -> ExportResult:
        check_intent(intent, self.settings.domain_path)  # before the (slower) grouping
        group = self.inbox(period).find(group_id)
        return assign(group.examples, intent, nlu_dir or self.settings.nlu_data_dir, self.settings.domain_path)

    def add_variants(self, period: Period, group_id: str, option: str, write: bool) -> VariantResult:
        """A group of unmatched answers as new phrases of one option of its question: the diff
        only (write=False), or written."""
        section, group = self.flow_inbox(period).find(group_id)
        value = section.option_for(option)
        result = add_variants(self.settings.bot_flows_dir, section.question, value, group.examples, write)
        result.asked = section.asked
        return result

    def mark_noise(self, period: Period, group_id: str) -> str:
        section, group = self.flow_inbox(period).find(group_id)
        new = mark_noise(self.settings.bot_flows_dir, section.question, group.examples)
        return (
            f"Marked {len(new)} answer{'s' if len(new) != 1 else ''} to {section.question!r} as noise "
            f"in {self.settings.bot_flows_dir / 'noise.yml'}; they leave the inbox."
        )

    def kb_stub(self, period: Period, group_id: str, title: str | None = None) -> StubResult:
        group = self.inbox(period).find(group_id)
        return create_stub(group, self.settings.kb_drafts_dir, self.settings.kb_source_dir, title)
