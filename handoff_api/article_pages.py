"""Render KB articles as help-centre pages (the links the bot cites)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt
from markupsafe import Markup

from kb_index.loading import ArticleError, parse_article

SAFE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
# Raw HTML in an article is shown as text, never rendered.
_markdown = MarkdownIt("commonmark", {"html": False})


@dataclass(frozen=True)
class RenderedArticle:
    id: str
    title: str
    updated: str
    html: Markup


def render_article(source_dir: Path, article_id: str) -> RenderedArticle | None:
    if not SAFE_ID.match(article_id):
        return None
    path = source_dir / f"{article_id}.md"
    if not path.is_file():
        return None
    try:
        article = parse_article(path)
    except ArticleError:
        return None
    return RenderedArticle(article.id, article.title, article.updated, Markup(_markdown.render(article.body)))
