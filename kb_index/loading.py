"""Load and validate KB articles (Markdown with YAML front matter)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REQUIRED_FIELDS = ("id", "title", "tags", "platforms", "updated", "url")


class ArticleError(ValueError):
    """An article that cannot be indexed; the message names the file and the reason."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    url: str
    tags: list[str]
    platforms: list[str]
    updated: str
    body: str
    path: Path
    checksum: str = field(default="")
    # Optional: how customers ask for this article, in their words. Each is indexed as its own
    # passage for matching; the bot never quotes one (it quotes the article's text).
    questions: tuple[str, ...] = ()
    # Optional: the intent of a task the assistant can do for the customer when the article is not
    # enough ("No, activate my key"), e.g. `software_activation`; "" when there is none.
    task: str = ""


def parse_article(path: Path) -> Article:
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        raise ArticleError(path, "missing YAML front matter (the file must start with '---')")
    parts = text.split("---", 2)
    if len(parts) < 3:
        raise ArticleError(path, "front matter is not closed with '---'")
    try:
        meta = yaml.safe_load(parts[1]) or {}
    except yaml.YAMLError as exc:
        raise ArticleError(path, f"front matter is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise ArticleError(path, "front matter must be a mapping")
    missing = [name for name in REQUIRED_FIELDS if not meta.get(name)]
    if missing:
        raise ArticleError(path, f"front matter lacks {', '.join(missing)}")
    body = parts[2].strip()
    if not body:
        raise ArticleError(path, "the article body is empty")
    questions = meta.get("questions") or []
    if not isinstance(questions, list) or not all(isinstance(q, str) and q.strip() for q in questions):
        raise ArticleError(path, "questions must be a list of non-empty strings")
    task = meta.get("task") or ""
    if not isinstance(task, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", task or "x"):
        raise ArticleError(path, "task must be an intent name (lower case letters, digits and _)")
    updated = meta["updated"]
    if isinstance(updated, (dt.date, dt.datetime)):
        updated = updated.isoformat()
    return Article(
        id=str(meta["id"]),
        title=str(meta["title"]),
        url=str(meta["url"]),
        tags=[str(t) for t in meta.get("tags") or []],
        platforms=[str(p) for p in meta.get("platforms") or []],
        updated=str(updated),
        body=body,
        path=path,
        checksum=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        questions=tuple(q.strip() for q in questions),
        task=task,
    )


def load_articles(source_dir: Path) -> list[Article]:
    """All articles under source_dir, sorted by id. Raises ArticleError on the first bad file."""
    if not source_dir.is_dir():
        raise ArticleError(source_dir, "article folder does not exist")
    articles: list[Article] = []
    seen: dict[str, Path] = {}
    for path in sorted(source_dir.glob("*.md")):
        article = parse_article(path)
        if article.id in seen:
            raise ArticleError(path, f"duplicate id '{article.id}' (also in {seen[article.id]})")
        seen[article.id] = path
        articles.append(article)
    if not articles:
        raise ArticleError(source_dir, "no articles (*.md) found")
    return sorted(articles, key=lambda a: a.id)
