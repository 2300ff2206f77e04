"""The review inbox (insights/inbox.py): de-duplication, grouping by meaning with the real KB
embedding model, stable group ids, newest first, and messages a writer already dealt with."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from insights.conversations import KB_BELOW_THRESHOLD, LOW_CONFIDENCE, NLU_FALLBACK, OUT_OF_SCOPE, fold
from insights.inbox import TextVectors, UnknownGroup, build_inbox, handled_texts, normalise
from tests.insights.events import Chat, all_events

T0 = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.timezone.utc)
SIMILARITY = 0.65  # the shipped INSIGHTS_GROUP_SIMILARITY


@pytest.fixture(scope="module")
def vectors(embedder) -> TextVectors:
    return TextVectors(embedder)


def chats() -> list[Chat]:
    a = Chat("a", T0).session().user("my uploads never finish", NLU_FALLBACK, 0.2)
    a.user("Best pizza near me!!", OUT_OF_SCOPE, 0.99)
    b = (
        Chat("b", T0 + dt.timedelta(hours=1))
        .session()
        .user("my uploads are stuck and never complete", NLU_FALLBACK, 0.2)
    )
    b.user("qwx vrrp zlonk", NLU_FALLBACK, 0.2)
    c = Chat("c", T0 + dt.timedelta(hours=2)).session().user("best   pizza near me", OUT_OF_SCOPE, 0.98)
    # one message, two reasons (low confidence, then no KB article): one occurrence
    c.user("where do i find the dark mode switch", "ask_howto", 0.3).action("action_answer_from_kb")
    c.slot("kb_miss", {"nearest": "x", "best_score": 0.2, "min_score": 0.41})
    return [a, b, c]


def test_same_message_counted_once_per_time_sent_and_similar_ones_grouped(vectors: TextVectors) -> None:
    inbox = build_inbox(fold(all_events(*chats()), low_confidence=0.5), vectors, SIMILARITY)
    assert len(inbox.groups) == 4, [g.examples for g in inbox.groups]
    uploads = next(g for g in inbox.groups if "uploads" in g.label)
    assert sorted(uploads.examples) == ["my uploads are stuck and never complete", "my uploads never finish"]
    assert uploads.count == 2 and uploads.reasons == {NLU_FALLBACK: 2}
    pizza = next(g for g in inbox.groups if "pizza" in g.label)
    assert pizza.count == 2 and len(pizza.messages) == 1 and pizza.messages[0].text == "best   pizza near me"
    assert {o.conversation_id for o in pizza.occurrences} == {"a", "c"}
    assert pizza.occurrences[0].link.startswith("/staff/conversations/c#e")
    dark = next(g for g in inbox.groups if "dark mode" in g.label)
    assert dark.count == 1 and dark.reasons == {LOW_CONFIDENCE: 1, KB_BELOW_THRESHOLD: 1}
    # newest group first: the last messages came from c
    assert {inbox.groups[0].label, inbox.groups[1].label} == {
        "best   pizza near me",
        "where do i find the dark mode switch",
    }


def test_group_ids_do_not_depend_on_read_order_or_on_newer_messages(vectors: TextVectors) -> None:
    events = all_events(*chats())
    before = next(g for g in build_inbox(fold(events, 0.2), vectors, SIMILARITY).groups if "uploads" in g.label)
    newer = Chat("d", T0 + dt.timedelta(days=1)).session().user("uploads hang at 99 percent", NLU_FALLBACK, 0.2)
    after = build_inbox(fold(all_events(*reversed(chats()), newer), 0.2), vectors, SIMILARITY)
    uploads = next(g for g in after.groups if "uploads" in g.label)
    assert "uploads hang at 99 percent" in uploads.examples and uploads.count == 3
    assert uploads.id == before.id and uploads.label != before.label  # the label is the most frequent message
    assert after.find(uploads.id.upper()) is uploads
    with pytest.raises(UnknownGroup, match="no inbox group 'nope'"):
        after.find("nope")


def test_messages_already_in_the_training_data_or_a_kb_draft_are_left_out(tmp_path: Path, vectors) -> None:
    nlu = tmp_path / "nlu"
    nlu.mkdir()
    (nlu / "howto.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: ask_howto\n  examples: |\n'
        "    - where do I find the [dark mode](feature) switch?\n"
    )
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    (drafts / "uploads.md").write_text("---\nid: uploads\nquestions:\n- My uploads never finish\n---\nBody\n")
    inbox = build_inbox(fold(all_events(*chats()), 0.5), vectors, SIMILARITY, handled_texts(nlu, drafts))
    texts = [m.text for g in inbox.groups for m in g.messages]
    assert "where do i find the dark mode switch" not in texts and "my uploads never finish" not in texts
    assert "my uploads are stuck and never complete" in texts and inbox.handled == 2


def test_normalise() -> None:
    assert normalise("  “Help!!”  ") == "help"
    assert normalise("My\tWi-Fi   DROPS...") == "my wi-fi drops"


def test_vectors_are_embedded_once(embedder) -> None:
    calls: list[list[str]] = []

    class Counting:
        model_name = embedder.model_name

        def encode(self, texts: list[str], progress: bool = False):
            calls.append(texts)
            return embedder.encode(texts)

    vectors = TextVectors(Counting())
    first = vectors(["a b c", "d e f"])
    again = vectors(["d e f", "a b c", "g h"])
    assert calls == [["a b c", "d e f"], ["g h"]]
    assert (again[1] == first[0]).all() and again.shape == (3, first.shape[1])
