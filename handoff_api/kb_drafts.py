"""A resolved ticket becomes a KB article draft for content writers: a Markdown file with the same
front matter as kb/articles (kb_index.loading.parse_article reads it), pre-filled from the ticket's
summary, the steps tried and the agents' notes, written into KB_DRAFTS_DIR, never into the
published articles (kb_index/drafts.py writes it). A writer checks it and moves it to kb/articles/."""

from __future__ import annotations

import datetime as dt
import re

from common.intents import CONVERSATIONAL_INTENTS
from handoff_api import audit
from handoff_api.db import Database
from handoff_api.models import Ticket
from handoff_api.settings import Settings
from handoff_api.ticket_store import get_ticket
from kb_index.drafts import Draft, check_drafts_folder, draft_markdown, write_new_draft

DRAFTABLE = ("resolved", "closed")
_PLATFORM_SLOTS = ("device", "os", "app_platform", "q_device", "q_os", "q_app_platform")


class NotResolved(Exception):
    pass


def check_drafts_dir(settings: Settings) -> None:
    check_drafts_folder(settings.kb_drafts_dir, settings.kb_source_dir)


def _problem(ticket: Ticket) -> str:
    for turn in ticket.turns:
        if turn.sender == "customer" and turn.intent not in CONVERSATIONAL_INTENTS and turn.text.strip():
            return turn.text.strip()
    return next((t.text.strip() for t in ticket.turns if t.sender == "customer" and t.text.strip()), "")


def default_title(ticket: Ticket) -> str:
    found = re.search(r"Diagnosis: ([^(.]+)", ticket.summary)
    title = found.group(1).strip() if found else _problem(ticket) or ticket.summary or f"Ticket {ticket.id}"
    title = title[:1].upper() + title[1:]
    return title if len(title) <= 80 else title[:77].rstrip() + "..."


def _tags(ticket: Ticket) -> list[str]:
    intents = [
        t.intent for t in ticket.turns if t.sender == "customer" and t.intent and t.intent not in CONVERSATIONAL_INTENTS
    ]
    tags = list(dict.fromkeys(i.replace("_", "-") for i in intents))
    return [*tags, ticket.queue] if tags else [ticket.queue, ticket.reason.replace("_", "-")]


def _platforms(ticket: Ticket) -> list[str]:
    found = [str(ticket.slots[s]).strip().lower() for s in _PLATFORM_SLOTS if isinstance(ticket.slots.get(s), str)]
    return list(dict.fromkeys(p for p in found if p)) or ["all"]


def render(ticket: Ticket, article_id: str, title: str, today: dt.date) -> str:
    meta = {
        "id": article_id,
        "title": title,
        "tags": _tags(ticket),
        "platforms": _platforms(ticket),
        "updated": today.isoformat(),
        "url": f"/help/articles/{article_id}",
        "questions": [q for q in [_problem(ticket)[:200]] if q],
        # Not read by kb_index; tells the writer where the draft came from.
        "source_ticket": ticket.id,
    }
    steps = [
        f"{i}. {s.get('step', '').strip()} (tried with the bot: {s.get('outcome', 'unknown')})"
        for i, s in enumerate(ticket.steps_tried, 1)
        if isinstance(s, dict) and str(s.get("step", "")).strip()
    ]
    notes = [f"- {n.text.strip()}" for n in ticket.notes if n.text.strip()]
    body = [
        ticket.summary.strip() or title,
        "",
        "## Steps",
        *(steps or ["1. (Write the steps that solved it.)"]),
        "",
        "## What the agent found",
        *(notes or ["- (No notes on the ticket.)"]),
    ]
    return draft_markdown(meta, body)


def create_draft(
    db: Database, settings: Settings, ticket_id: str, actor: str, title: str | None = None
) -> Draft | None:
    check_drafts_dir(settings)
    with db.write_session() as session:
        ticket = get_ticket(session, ticket_id)
        if ticket is None:
            return None
        if ticket.status not in DRAFTABLE:
            raise NotResolved(
                f"ticket {ticket.id} is {ticket.status}; only a resolved or closed ticket becomes a draft"
            )
        title = (title or "").strip() or default_title(ticket)
        today = dt.date.today()
        draft = write_new_draft(
            settings.kb_drafts_dir, title, lambda article_id: render(ticket, article_id, title, today)
        )
        audit.record(ticket, actor, "draft_created", new=str(draft.path))
        session.commit()
        return draft
