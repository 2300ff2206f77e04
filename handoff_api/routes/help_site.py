"""The demo help page with the chat widget, and the public KB article pages it links to."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from handoff_api import reopen_links, takeover
from handoff_api.article_pages import render_article
from handoff_api.db import Database
from handoff_api.deps import DbDep, SettingsDep
from handoff_api.settings import Settings

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def demo_page(request: Request, settings: SettingsDep, db: DbDep, conversation: str = "") -> HTMLResponse:
    """The help page; `?conversation=<token>` (the link in an agent's emailed reply) opens the chat
    again with its whole history."""
    context: dict[str, Any] = {"rasa_url": settings.rasa_public_url, "conversation": None, "link_problem": None}
    if conversation:
        history = _reopened(request, settings, db, conversation)
        if history is None:
            context["link_problem"] = "This chat link has expired or is not valid. Start a new chat below."
        else:
            context["conversation"] = json.dumps(history)
    return request.app.state.templates.TemplateResponse(request, "demo.html", context)


def _reopened(request: Request, settings: Settings, db: Database, token: str) -> dict[str, Any] | None:
    conversation_id = reopen_links.conversation_from_token(settings, token)
    ticket_id = reopen_links.latest_ticket_id(db, conversation_id) if conversation_id else None
    if ticket_id is None:
        return None
    # The turns written since the last look are copied in first: the agent's latest reply is there.
    ticket = takeover.current(db, request.app.state.event_reader, ticket_id)
    return reopen_links.widget_history(ticket) if ticket is not None else None


@router.get("/help/articles/{article_id}", response_class=HTMLResponse)
def article_page(article_id: str, request: Request, settings: SettingsDep) -> HTMLResponse:
    article = render_article(settings.kb_source_dir, article_id)
    if article is None:
        raise HTTPException(404, f"no article {article_id}")
    return request.app.state.templates.TemplateResponse(request, "article.html", {"article": article})
