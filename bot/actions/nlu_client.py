"""The intent of a piece of text, from the running Rasa server's own NLU (`POST /model/parse`):
for a problem restated inside a correction ("no, that's not it, my phone gets no notifications"),
which has to be read on its own, without the words that only carried the correction."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from bot.actions.http_client import shared_client
from bot.actions.settings import get_settings

log = logging.getLogger(__name__)


async def parse(text: str) -> dict[str, Any] | None:
    """Rasa's parse of `text` (intent, intent_ranking, entities), or None when Rasa's HTTP API is
    not reachable or refuses (the caller then falls back on the whole message's ranking)."""
    settings = get_settings()
    try:
        response = await shared_client().post(
            f"{settings.rasa_url}/model/parse",
            params={"token": settings.rasa_api_token} if settings.rasa_api_token else None,
            json={"text": text},
            timeout=settings.rasa_parse_timeout_seconds,
        )
    except httpx.HTTPError as exc:
        log.warning("Rasa /model/parse unreachable (%s): routing on the whole message", exc)
        return None
    if response.status_code != 200:
        log.warning("Rasa /model/parse answered %s: routing on the whole message", response.status_code)
        return None
    return response.json()
