"""KB article lint: everything `kb_index build` would refuse (it uses the same parser), but all
problems at once and each at its line, plus what the index cannot see: links between articles that
lead nowhere, a `url` the help site does not serve, and evaluation questions naming no article.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from authoring.problems import Problem
from authoring.yaml_lines import describe
from kb_index.loading import REQUIRED_FIELDS, Article, ArticleError, parse_article

# The help site serves every article at /help/articles/<id> (handoff_api/routes/help_site.py); the bot
# cites that address, so the `url` field has to be exactly it.
ARTICLE_PATH = "/help/articles/"
# [text](target "title") and reference definitions `[label]: target`.
INLINE_LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'][^)]*[\"'])?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")


@dataclass(frozen=True)
class FrontMatter:
    """Line numbers of the front matter: where each key starts and where the block closes."""

    keys: dict[str, int]
    closing_line: int


def _front_matter_lines(text: str) -> FrontMatter:
    lines = text.splitlines()
    closing = next((i + 1 for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), 1)
    keys: dict[str, int] = {}
    try:
        node = yaml.compose("\n".join(lines[1 : closing - 1]), Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        node = None
    if isinstance(node, yaml.MappingNode):
        for key, _ in node.value:
            keys.setdefault(str(key.value), key.start_mark.line + 2)  # +1 for 1-based, +1 for '---'
    return FrontMatter(keys, closing)


def _located(error: ArticleError, text: str) -> tuple[int, str]:
    """(line, message) for what kb_index's parser refused (its reasons are fixed sentences)."""
    front = _front_matter_lines(text)
    reason = error.reason
    cause = error.__cause__
    if isinstance(cause, yaml.MarkedYAMLError):
        # The parser reads the text after the first '---', which starts on line 1.
        line, message = describe(cause, first_line=1)
        return line, f"front matter is {message}"
    if reason.startswith("front matter lacks"):
        missing = [name for name in REQUIRED_FIELDS if name in reason]
        present = [front.keys[name] for name in missing if name in front.keys]
        return (min(present) if present else 1), reason  # present but empty: that key; absent: the top
    if reason.startswith("questions"):
        return front.keys.get("questions", 1), reason
    if reason.startswith("task"):
        return front.keys.get("task", 1), reason
    if reason.startswith("the article body is empty"):
        return front.closing_line, reason
    return 1, reason


def _link_targets(text: str, body_start: int) -> list[tuple[int, str]]:
    """(line, target) of every Markdown link in the article body, outside fenced code."""
    found = []
    in_code = False
    for number, line in enumerate(text.splitlines()[body_start:], body_start + 1):
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        if in_code:
            continue
        found.extend((number, m.group(1)) for m in INLINE_LINK.finditer(line))
        found.extend((number, m.group(1)) for m in REFERENCE_LINK.finditer(line))
    return found


def _linked_article(target: str, article_dir: Path, source_dir: Path) -> str | None:
    """The article id a link target points at, or None when it is not a link to an article
    (external sites, anchors, mail)."""
    parts = urlsplit(target)
    if parts.scheme in ("mailto", "tel"):
        return None
    if parts.path.startswith(ARTICLE_PATH):
        return parts.path[len(ARTICLE_PATH) :].strip("/")
    if not parts.scheme and not parts.netloc and parts.path.endswith(".md"):
        resolved = (article_dir / parts.path).resolve()
        # A file outside the article folder is never an article (the help site serves only those).
        return resolved.stem if resolved.parent == source_dir.resolve() else parts.path
    return None


def check(source_dir: Path, eval_questions: Path | None = None, tasks: frozenset[str] | None = None) -> list[Problem]:
    """Problems of every article in `source_dir` (and of the evaluation file, when given); with
    `tasks`, an article's `task:` must be one of them (a task the assistant can do)."""
    problems: list[Problem] = []
    if not source_dir.is_dir():
        return [Problem(source_dir, 1, "the article folder does not exist")]
    paths = sorted(source_dir.glob("*.md"))
    if not paths:
        return [Problem(source_dir, 1, "no articles (*.md) in the article folder")]
    articles: list[tuple[Article, str, FrontMatter]] = []
    first_with_id: dict[str, tuple[Path, int]] = {}
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            article = parse_article(path)
        except ArticleError as exc:
            problems.append(Problem(path, *_located(exc, text)))
            continue
        front = _front_matter_lines(text)
        id_line = front.keys.get("id", 1)
        if article.id in first_with_id:
            other, other_line = first_with_id[article.id]
            problems.append(Problem(path, id_line, f"duplicate id '{article.id}' (also in {other.name}:{other_line})"))
            continue
        first_with_id[article.id] = (path, id_line)
        if path.stem != article.id:
            # Relative links (`<id>.md`), KB drafts and the help site all assume the file is <id>.md.
            problems.append(Problem(path, id_line, f"id '{article.id}' differs from the file name ({path.name})"))
        expected_url = f"{ARTICLE_PATH}{article.id}"
        if article.url != expected_url:
            problems.append(
                Problem(
                    path,
                    front.keys.get("url", 1),
                    f"url '{article.url}' is not where the help site serves this article ({expected_url})",
                )
            )
        if tasks is not None and article.task and article.task not in tasks:
            known_tasks = ", ".join(sorted(tasks))
            reason = f"task '{article.task}' is none the assistant can do ({known_tasks})"
            problems.append(Problem(path, front.keys.get("task", 1), reason))
        articles.append((article, text, front))

    # A link to a file that exists but is broken or has a clashing id is not a dead link: that
    # article is reported already, and reporting every link to it would bury the real mistake.
    known = set(first_with_id) | {path.stem for path in paths}
    for article, text, front in articles:
        for line, target in _link_targets(text, front.closing_line):
            linked = _linked_article(target, article.path.parent, source_dir)
            if linked is not None and linked not in known:
                problems.append(Problem(article.path, line, f"dead link to '{target}': no article '{linked}'"))

    if eval_questions is not None and eval_questions.exists():
        problems.extend(_check_eval_questions(eval_questions, known))
    return sorted(problems)


def _check_eval_questions(path: Path, known: set[str]) -> list[Problem]:
    """kb/eval/questions.tsv names the article that should answer each question; an unknown id
    would quietly count as a miss in `make report`."""
    problems = []
    with path.open(encoding="utf-8") as f:
        # Read exactly as kb_index.evaluate.read_questions does (csv, tab-separated).
        for number, row in enumerate(csv.reader(f, delimiter="\t"), 1):
            if not row or not row[0].strip():
                continue
            if len(row) != 2:
                problems.append(Problem(path, number, f"expected question<TAB>article_id, got {len(row)} fields"))
            elif row[1].strip() not in known:
                problems.append(Problem(path, number, f"no article '{row[1].strip()}'"))
    return problems
