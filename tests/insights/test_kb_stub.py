"""'Needs a KB article' (insights/kb_stub.py): a stub kb_index accepts, never twice for one group,
never inside the published articles."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from insights.inbox import Group, Message, Occurrence
from insights.kb_stub import create_stub
from kb_index.loading import parse_article

T0 = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.timezone.utc)


def group() -> Group:
    messages = []
    for n, text in enumerate(["Can I pay with PayPal?", "paypal accepted?"]):
        m = Message(text.lower(), [Occurrence("s", n, T0, text)])
        m.reasons["out_of_scope"] += 1
        messages.append(m)
    return Group("abcdef0123", messages)


def test_a_stub_has_the_front_matter_of_an_article_and_is_written_once(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    first = create_stub(group(), tmp_path / "drafts", articles)
    assert first.created and first.draft.path == tmp_path / "drafts/can-i-pay-with-paypal.md"
    article = parse_article(first.draft.path)
    assert article.title == "Can I pay with PayPal?" and article.url == "/help/articles/can-i-pay-with-paypal"
    assert article.questions == ("Can I pay with PayPal?", "paypal accepted?") and article.tags == ["needs-article"]
    assert "out of scope (2)" in article.body and "## Steps" in article.body
    again = create_stub(group(), tmp_path / "drafts", articles, title="Another title")
    assert not again.created and again.draft.path == first.draft.path and "nothing written" in again.summary()
    assert len(list((tmp_path / "drafts").glob("*.md"))) == 1


def test_the_drafts_folder_may_not_be_inside_the_articles(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must not be inside KB_SOURCE_DIR"):
        create_stub(group(), tmp_path / "articles/drafts", tmp_path / "articles")
