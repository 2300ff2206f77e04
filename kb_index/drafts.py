"""KB article drafts: Markdown files with the front matter of kb/articles (kb_index.loading reads
them as written), written into a drafts folder that is never the published articles' folder. The
handoff service drafts from resolved tickets (handoff_api/kb_drafts.py), the review inbox from a
group of messages the bot did not understand (insights/kb_stub.py)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Draft:
    article_id: str
    path: Path


def slugify(text: str, limit: int = 60) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "draft"


def check_drafts_folder(drafts_dir: Path, articles_dir: Path) -> None:
    drafts, articles = drafts_dir.resolve(), articles_dir.resolve()
    if drafts == articles or drafts.is_relative_to(articles):
        raise ValueError(f"KB_DRAFTS_DIR ({drafts}) must not be inside KB_SOURCE_DIR ({articles})")


def write_new_draft(folder: Path, title: str, render_as: Callable[[str], str]) -> Draft:
    """Write `render_as(article_id)` into the first free `<slug of title>[-n].md` of `folder`. A draft a
    writer may already be editing is never overwritten."""
    folder.mkdir(parents=True, exist_ok=True)
    base = slugify(title)
    for n in range(1, 100):
        article_id = base if n == 1 else f"{base}-{n}"
        path = folder / f"{article_id}.md"
        try:
            # "x": never overwrite a draft a writer may already be editing.
            with open(path, "x", encoding="utf-8") as fh:
                fh.write(render_as(article_id))
                fh.flush()
                os.fsync(fh.fileno())
            return Draft(article_id, path)
        except FileExistsError:
            continue
    raise RuntimeError(f"too many drafts named {base}")


STILL_NOT_WORKING = [
    "## Still not working?",
    "Ask the Nimbus assistant for a person: a ticket carries your whole conversation to our team.",
]


def draft_markdown(meta: dict, body: list[str]) -> str:
    """An article draft as kb_index reads it: YAML front matter, the body, the closing section
    every Nimbus article ends with."""
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, default_flow_style=None)
    return f"---\n{front}---\n" + "\n".join([*body, "", *STILL_NOT_WORKING, ""])
