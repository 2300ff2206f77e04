"""The review inbox: customer messages the bot did not handle well (fallback, out of scope, low
confidence, no KB article above the threshold, "did this help? no"), de-duplicated, grouped by
meaning with the KB's embedding model, counted, newest group first, each occurrence linked to its
conversation. Messages already in the NLU data or among a KB article's (or draft's) questions are
left out: a writer has dealt with them."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import numpy as np
import yaml
from scipy.cluster.hierarchy import fcluster, linkage

from insights.conversations import Conversation, ReviewItem
from kb_index.embedding import Embedder

# Rasa's inline entity annotations: [text](entity) and [text]{"entity": ...}.
_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")
_SPACE = re.compile(r"\s+")
_EDGE_PUNCT = re.compile(r"^[\s\"'“”‘’.,!?;:…-]+|[\s\"'“”‘’.,!?;:…-]+$")


class UnknownGroup(LookupError):
    pass


def normalise(text: str) -> str:
    """The form two messages are compared in: Unicode-folded, case-folded, one space, no quotes or
    punctuation at the ends ("Help!!" and "help" are the same message)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _EDGE_PUNCT.sub("", _SPACE.sub(" ", text)).strip()


def plain_example(line: str) -> str:
    """A training example without its entity annotations: "[free](plan) plan" -> "free plan"."""
    return _ANNOTATION.sub(r"\1", line)


@dataclass(frozen=True)
class Occurrence:
    conversation_id: str
    event_id: int
    time: dt.datetime
    text: str

    @property
    def link(self) -> str:
        """The conversation on the staff pages, at this message."""
        return f"/staff/conversations/{quote(self.conversation_id, safe='')}#e{self.event_id}"


@dataclass
class Message:
    """One distinct (normalised) message and every time a customer sent it."""

    key: str
    occurrences: list[Occurrence] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)
    details: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.latest.text

    @property
    def latest(self) -> Occurrence:
        return max(self.occurrences, key=lambda o: (o.time, o.event_id))

    @property
    def first_seen(self) -> dt.datetime:
        return min(o.time for o in self.occurrences)

    @property
    def last_seen(self) -> dt.datetime:
        return self.latest.time

    @property
    def count(self) -> int:
        return len(self.occurrences)


@dataclass
class MessageGroup:
    """Similar messages, most frequent first: a group of the inbox (here, and per flow question in
    insights/flow_inbox.py)."""

    id: str
    messages: list[Message]

    @property
    def count(self) -> int:
        return sum(m.count for m in self.messages)

    @property
    def label(self) -> str:
        return self.messages[0].text

    @property
    def examples(self) -> list[str]:
        return [m.text for m in self.messages]

    @property
    def last_seen(self) -> dt.datetime:
        return max(m.last_seen for m in self.messages)


@dataclass
class Group(MessageGroup):
    """A group of messages the NLU or the KB did not handle, with why."""

    @property
    def reasons(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for m in self.messages:
            total.update(m.reasons)
        return total

    @property
    def occurrences(self) -> list[Occurrence]:
        return sorted(
            (o for m in self.messages for o in m.occurrences), key=lambda o: (o.time, o.event_id), reverse=True
        )

    def to_json(self, base_url: str = "") -> dict:
        return {
            "id": self.id,
            "count": self.count,
            "label": self.label,
            "last_seen": self.last_seen.isoformat(),
            "reasons": dict(self.reasons.most_common()),
            "messages": [
                {
                    "text": m.text,
                    "count": m.count,
                    "last_seen": m.last_seen.isoformat(),
                    "reasons": dict(m.reasons.most_common()),
                    "details": m.details,
                }
                for m in self.messages
            ],
            "conversations": [
                {
                    "conversation_id": o.conversation_id,
                    "at": o.time.isoformat(),
                    "text": o.text,
                    "link": base_url + o.link,
                }
                for o in self.occurrences
            ],
        }


@dataclass
class Inbox:
    groups: list[Group]
    handled: int = 0  # messages left out because a writer already dealt with them

    def find(self, group_id: str) -> Group:
        wanted = group_id.strip().lower()
        for group in self.groups:
            if group.id == wanted:
                return group
        raise UnknownGroup(
            f"no inbox group {group_id!r} in this period (groups: {', '.join(g.id for g in self.groups) or 'none'})"
        )


def review_items(conversations: Iterable[Conversation]) -> list[ReviewItem]:
    return [item for c in conversations for item in c.review]


def dedupe(items: Iterable[ReviewItem], handled: frozenset[str] = frozenset()) -> tuple[list[Message], int]:
    """One Message per normalised text; one occurrence per customer message even when it was
    flagged for two reasons. Also returns how many handled messages were left out."""
    messages: dict[str, Message] = {}
    seen: set[tuple[str, int]] = set()
    left_out: set[str] = set()
    for item in items:
        key = normalise(item.text)
        if not key:
            continue
        if key in handled:
            left_out.add(key)
            continue
        message = messages.setdefault(key, Message(key))
        message.reasons[item.reason] += 1
        if item.detail and item.detail not in message.details:
            message.details.append(item.detail)
        if (item.conversation_id, item.event_id) not in seen:
            seen.add((item.conversation_id, item.event_id))
            message.occurrences.append(Occurrence(item.conversation_id, item.event_id, item.time, item.text))
    return list(messages.values()), len(left_out)


class TextVectors:
    """Embeddings of message texts, remembered: the staff pages group the same messages on every
    request, and each costs a few milliseconds to embed."""

    def __init__(self, embedder: Embedder, limit: int = 50_000) -> None:
        self.embedder = embedder
        self.limit = limit
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def __call__(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            vectors = self.embedder.encode(missing)
            with self._lock:
                if len(self._cache) + len(missing) > self.limit:
                    self._cache.clear()
                self._cache.update(zip(missing, vectors, strict=True))
        with self._lock:
            found = {t: self._cache.get(t) for t in texts}
        if any(v is None for v in found.values()):  # cleared meanwhile by another thread
            return self.embedder.encode(texts)
        return np.vstack([found[t] for t in texts]) if texts else np.zeros((0, 1), dtype="float32")


def group_id(messages: list[Message]) -> str:
    """Stable for the same content: the hash of the group's oldest message (ties: alphabetical).
    New messages joining later are newer, so the id stays."""
    first = min(messages, key=lambda m: (m.first_seen, m.key))
    return hashlib.sha256(first.key.encode("utf-8")).hexdigest()[:10]


def cluster(messages: list[Message], vectors: TextVectors, similarity: float) -> list[list[Message]]:
    """Average-linkage clustering by cosine: every group's messages are on average at least
    `similarity` alike. Input sorted by text, so the result does not depend on read order."""
    ordered = sorted(messages, key=lambda m: m.key)
    if len(ordered) < 2:
        return [ordered] if ordered else []
    matrix = vectors([m.key for m in ordered]).astype("float64")
    tree = linkage(matrix, method="average", metric="cosine")
    labels = fcluster(tree, t=1.0 - similarity, criterion="distance")
    groups: dict[int, list[Message]] = {}
    for message, label in zip(ordered, labels, strict=True):
        groups.setdefault(int(label), []).append(message)
    return list(groups.values())


def build_inbox(
    conversations: Iterable[Conversation],
    vectors: TextVectors,
    similarity: float,
    handled: frozenset[str] = frozenset(),
) -> Inbox:
    messages, left_out = dedupe(review_items(conversations), handled)
    groups = []
    for members in cluster(messages, vectors, similarity):
        members.sort(key=lambda m: (-m.count, -m.last_seen.timestamp(), m.key))
        groups.append(Group(group_id(members), members))
    groups.sort(key=lambda g: (g.last_seen, g.count), reverse=True)
    return Inbox(groups, left_out)


def nlu_examples(nlu_dir: Path) -> dict[str, str]:
    """Every training example of the NLU data (normalised, annotations removed) -> its intent."""
    found: dict[str, str] = {}
    for path in sorted(nlu_dir.rglob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("nlu") or []:
            if not isinstance(item, dict) or "intent" not in item:
                continue
            for line in str(item.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    found.setdefault(normalise(plain_example(line[2:])), str(item["intent"]))
    return found


def kb_questions(*folders: Path) -> set[str]:
    """The `questions` of the KB articles and drafts in these folders (normalised)."""
    found: set[str] = set()
    for folder in folders:
        for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
            text = path.read_text(encoding="utf-8")
            parts = text.split("---", 2)
            if not text.startswith("---") or len(parts) < 3:
                continue
            try:
                meta = yaml.safe_load(parts[1]) or {}
            except yaml.YAMLError:  # a draft being edited: its questions count once it parses
                continue
            questions = meta.get("questions") if isinstance(meta, dict) else None
            found.update(normalise(str(q)) for q in questions or [] if str(q).strip())
    return found


def handled_texts(nlu_dir: Path, *kb_folders: Path) -> frozenset[str]:
    return frozenset(nlu_examples(nlu_dir)) | frozenset(kb_questions(*kb_folders))
