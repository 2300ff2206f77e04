"""kb_index: validation, chunking, incremental build, atomic swap, search."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kb_index.build import build_index
from kb_index.chunking import chunk_article, split_sections
from kb_index.loading import ArticleError, load_articles, parse_article
from kb_index.search import IndexNotBuiltError, KBSearcher
from kb_index.settings import KBSettings
from kb_index.store import current_build

ROOT = Path(__file__).resolve().parents[2]

ARTICLE = """---
id: {id}
title: {title}
tags: [test]
platforms: [web]
updated: 2026-11-01
url: /help/articles/{id}
---
{summary}

## Steps
1. {step}
2. Check the result.

## Still not working?
- Ask the assistant for a person.
"""


def write(folder: Path, id: str, title: str, summary: str, step: str) -> Path:
    path = folder / f"{id}.md"
    path.write_text(ARTICLE.format(id=id, title=title, summary=summary, step=step))
    return path


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    src = tmp_path / "articles"
    src.mkdir()
    write(
        src,
        "reset-password",
        "Reset your password",
        "Forgot your password? Get a reset link by email.",
        "Click Forgot password on the sign-in page.",
    )
    write(
        src,
        "wifi-keeps-dropping",
        "Wi-Fi keeps disconnecting",
        "Your wireless connection drops every few minutes.",
        "Restart the router and move closer to it.",
    )
    write(
        src,
        "refund-policy",
        "Get a refund",
        "Money back for an annual plan within 14 days.",
        "Open Settings > Billing and choose Request refund.",
    )
    return src


def settings_for(tmp_path: Path, src: Path) -> KBSettings:
    return KBSettings(source_dir=src, index_dir=tmp_path / "index", _env_file=None)


def test_sections_split_on_headings() -> None:
    sections = split_sections("Intro text.\n\n## Steps\n1. One.\n\n## Still not working?\n- Ask.")
    assert [title for title, _ in sections] == ["", "Steps", "Still not working?"]


def test_long_sections_are_chunked_with_overlap(articles: Path) -> None:
    article = parse_article(articles / "reset-password.md")
    long_body = "## Steps\n" + "\n".join(f"{i}. Step number {i} has several words in it." for i in range(1, 40))
    article = article.__class__(**{**article.__dict__, "body": long_body})
    chunks = chunk_article(article, chunk_words=40, overlap_words=10)
    assert len(chunks) > 3
    # neighbours share their boundary sentence, so no step loses its context
    assert chunks[0].text.split(". ")[-1] in chunks[1].text


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("no front matter here", "missing YAML front matter"),
        ("---\nid: [unclosed\n---\nbody", "not valid YAML"),
        ("---\nid: x\ntitle: X\n---\nbody", "lacks tags, platforms, updated, url"),
        ("---\nid: x\ntitle: X\ntags: [a]\nplatforms: [web]\nupdated: 2026-01-01\nurl: /x\n---\n  \n", "body is empty"),
        (
            "---\nid: x\ntitle: X\ntags: [a]\nplatforms: [web]\nupdated: 2026-01-01\nurl: /x\n"
            "questions: one\n---\nbody",
            "questions must be a list of non-empty strings",
        ),
        (
            "---\nid: x\ntitle: X\ntags: [a]\nplatforms: [web]\nupdated: 2026-01-01\nurl: /x\n"
            "task: Reset Password\n---\nbody",
            "task must be an intent name",
        ),
    ],
)
def test_malformed_article_is_named_with_its_reason(tmp_path: Path, content: str, reason: str) -> None:
    bad = tmp_path / "bad.md"
    bad.write_text(content)
    with pytest.raises(ArticleError) as err:
        parse_article(bad)
    assert reason in str(err.value) and "bad.md" in str(err.value)


def test_customer_questions_find_the_article_but_its_text_is_quoted(tmp_path: Path, articles: Path, embedder) -> None:
    """A question in the front matter matches the way a customer asks; the hit still quotes the
    article's own text, never the listed question."""
    path = articles / "refund-policy.md"
    asked = "I was charged for a year I never used, can I have my money back"
    path.write_text(path.read_text().replace("---\nMoney", f'questions:\n  - "{asked}"\n---\nMoney', 1))
    settings = settings_for(tmp_path, articles)
    build_index(settings, embedder=embedder)
    (hit,) = KBSearcher(settings, embedder=embedder).search(asked, top_k=1)
    assert hit.article_id == "refund-policy"
    assert hit.score > 0.9
    assert asked not in hit.passage and "Money back for an annual plan" in hit.passage


def test_duplicate_ids_fail(articles: Path) -> None:
    text = (articles / "reset-password.md").read_text()
    (articles / "copy.md").write_text(text)
    with pytest.raises(ArticleError, match="duplicate id 'reset-password'"):
        load_articles(articles)


def test_build_search_incremental_and_hot_swap(tmp_path: Path, articles: Path, embedder) -> None:
    settings = settings_for(tmp_path, articles)
    stats = build_index(settings, embedder=embedder)
    assert stats["articles"] == 3 and stats["embedded_articles"] == 3

    searcher = KBSearcher(settings, embedder=embedder)
    hits = searcher.search("i forgot my password", top_k=3)
    assert hits[0].article_id == "reset-password"
    assert hits[0].url == "/help/articles/reset-password"
    assert hits[0].score > settings.min_score
    first_build = searcher.build_path

    # Only the changed article is embedded again; the running searcher sees the new build.
    write(
        articles,
        "refund-policy",
        "Refunds and cancellations",
        "Money back rules for annual plans.",
        "Open Settings > Billing.",
    )
    write(
        articles,
        "printer-offline",
        "Printer says offline",
        "Your printer shows as offline.",
        "Turn the printer off and on.",
    )
    stats = build_index(settings, embedder=embedder)
    assert stats["reused_articles"] == 2 and stats["embedded_articles"] == 2
    assert searcher.search("my printer is offline", top_k=1)[0].article_id == "printer-offline"
    assert searcher.build_path != first_build


def test_bad_article_leaves_the_good_index_untouched(tmp_path: Path, articles: Path, embedder) -> None:
    settings = settings_for(tmp_path, articles)
    build_index(settings, embedder=embedder)
    good = current_build(settings.index_dir)
    (articles / "broken.md").write_text("---\nid: broken\n---\n")
    with pytest.raises(ArticleError, match="broken.md"):
        build_index(settings, embedder=embedder)
    assert current_build(settings.index_dir) == good
    assert KBSearcher(settings, embedder=embedder).search("password")[0].article_id == "reset-password"


def test_search_without_index_says_how_to_build(tmp_path: Path, embedder) -> None:
    searcher = KBSearcher(KBSettings(index_dir=tmp_path / "none", _env_file=None), embedder=embedder)
    with pytest.raises(IndexNotBuiltError, match="kb_index build"):
        searcher.search("anything")


def test_cli_build_fails_with_file_and_reason(tmp_path: Path) -> None:
    src = tmp_path / "a"
    src.mkdir()
    (src / "oops.md").write_text("---\nid: oops\ntitle: [\n---\nbody")
    result = subprocess.run(
        [sys.executable, "-m", "kb_index", "build", "--source", str(src), "--out", str(tmp_path / "i")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "oops.md" in result.stderr and "not valid YAML" in result.stderr
    assert not (tmp_path / "i").exists()


def test_cli_search_json_reads_stdin(tmp_path: Path, articles: Path) -> None:
    out = tmp_path / "cli-index"
    subprocess.run(
        [sys.executable, "-m", "kb_index", "build", "--quiet", "--source", str(articles), "--out", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    result = subprocess.run(
        [sys.executable, "-m", "kb_index", "search", "--json", "--top-k", "2", "--index", str(out)],
        cwd=ROOT,
        input="forgot password\nwifi drops all the time\n",
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [hits[0]["article_id"] for hits in lines] == ["reset-password", "wifi-keeps-dropping"]
    keys = {"article_id", "title", "url", "score", "answers", "confidence", "related", "passage", "task"}
    assert set(lines[0][0]) == keys
    assert len(lines[0]) == 2


def test_shipped_articles_are_valid() -> None:
    articles = load_articles(ROOT / "kb/articles")
    assert len(articles) >= 45
    for a in articles:
        assert a.path.stem == a.id and a.url == f"/help/articles/{a.id}"


def test_a_hub_model_name_is_refused_not_downloaded() -> None:
    from kb_index.embedding import ModelNotFoundError, make_embedder

    with pytest.raises(ModelNotFoundError, match="never downloaded"):
        make_embedder("sentence-transformers/all-MiniLM-L6-v2").encode(["hello"])
