"""Mark an inbox group "needs a KB article": an article stub in the KB drafts folder (the same place
and the same writer as the drafts made from tickets, kb_index/drafts.py), with the front
matter of a KB article and the group's messages as its `questions`. A content writer fills in the
text and moves it to kb/articles/; kb_index accepts it as written."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml

from insights.conversations import REVIEW_REASONS
from insights.inbox import Group
from kb_index.drafts import Draft, check_drafts_folder, draft_markdown, write_new_draft

MAX_QUESTIONS = 30
MAX_TITLE = 80


@dataclass(frozen=True)
class StubResult:
    draft: Draft
    created: bool  # False: the group already had a stub, which was left as it was

    def summary(self) -> str:
        if self.created:
            return f"KB article stub written: {self.draft.path} (article id {self.draft.article_id})."
        return f"This group already has a KB article stub: {self.draft.path}; nothing written."


def title_for(group: Group) -> str:
    title = " ".join(group.label.split())
    title = title[:1].upper() + title[1:]
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 3].rstrip() + "..."


def render(group: Group, article_id: str, title: str, today: dt.date) -> str:
    meta = {
        "id": article_id,
        "title": title,
        "tags": ["needs-article"],
        "platforms": ["all"],
        "updated": today.isoformat(),
        "url": f"/help/articles/{article_id}",
        "questions": [" ".join(q.split())[:200] for q in group.examples[:MAX_QUESTIONS]],
        # Not read by kb_index; tells the writer where the stub came from.
        "source_inbox_group": group.id,
    }
    why = ", ".join(f"{REVIEW_REASONS.get(r, r)} ({n})" for r, n in group.reasons.most_common())
    body = [
        f"(Write a two-sentence summary. Customers asked this {group.count} time"
        f"{'s' if group.count != 1 else ''} and the bot had no good answer: {why}.)",
        "",
        "## Steps",
        "1. (Write the steps.)",
    ]
    return draft_markdown(meta, body)


def existing_stub(drafts_dir: Path, group_id: str) -> Draft | None:
    for path in sorted(drafts_dir.glob("*.md")) if drafts_dir.is_dir() else []:
        parts = path.read_text(encoding="utf-8").split("---", 2)
        if len(parts) < 3:
            continue
        try:
            meta = yaml.safe_load(parts[1]) or {}
        except yaml.YAMLError:
            continue
        if isinstance(meta, dict) and meta.get("source_inbox_group") == group_id:
            return Draft(str(meta.get("id") or path.stem), path)
    return None


def create_stub(group: Group, drafts_dir: Path, articles_dir: Path, title: str | None = None) -> StubResult:
    check_drafts_folder(drafts_dir, articles_dir)
    found = existing_stub(drafts_dir, group.id)
    if found is not None:
        return StubResult(found, created=False)
    title = " ".join((title or "").split()) or title_for(group)
    today = dt.date.today()
    draft = write_new_draft(drafts_dir, title, lambda article_id: render(group, article_id, title, today))
    return StubResult(draft, created=True)
