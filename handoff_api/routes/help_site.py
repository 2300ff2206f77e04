"""The demo help page with the chat widget, and the public KB article pages it links to."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from handoff_api.article_pages import render_article
from handoff_api.deps import SettingsDep

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def demo_page(request: Request, settings: SettingsDep) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(request, "demo.html", {"rasa_url": settings.rasa_public_url})


@router.get("/help/articles/{article_id}", response_class=HTMLResponse)
def article_page(article_id: str, request: Request, settings: SettingsDep) -> HTMLResponse:
    article = render_article(settings.kb_source_dir, article_id)
    if article is None:
        raise HTTPException(404, f"no article {article_id}")
    return request.app.state.templates.TemplateResponse(request, "article.html", {"article": article})
