"""A conversation on the Rasa server, as the live takeover changes it: events appended through
Rasa's HTTP API (`POST /conversations/{conversation_id}/tracker/events`, the RASA_API_TOKEN).

Rasa's own `pause` and `resume` events stop and restart the bot: a paused conversation still
stores every customer message, on every channel and in every Rasa process (the pause is in the
tracker), and runs no prediction, so no per-message check is added to the bot's turns. A `bot`
event carrying the agent in its metadata is the agent's message: it is stored in the tracker with
the rest of the conversation, and `execute_side_effects` with `output_channel=socketio` sends it
to the widget's socket.io room of that conversation (a customer on the REST channel reads it in
the tracker: REST has no way to push). Not `latest`: a REST message in between would send the
agent's next message nowhere."""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import quote

import httpx

from handoff_api.settings import Settings

# The name of the widget's channel (bot/channels.py, GuardedSocketIOInput).
SOCKETIO_CHANNEL = "socketio"


class RasaUnavailable(RuntimeError):
    """Rasa's HTTP API could not be reached or refused the change."""


_client: httpx.Client | None = None
_client_lock = threading.Lock()


def _http() -> httpx.Client:
    global _client
    with _client_lock:
        if _client is None:
            _client = httpx.Client()
        return _client


def agent_metadata(name: str) -> dict[str, Any]:
    """What the widget shows with an agent's message: the name and the avatar's initial."""
    return {"agent": {"name": name, "initial": (name.strip()[:1] or "?").upper()}}


def bot_event(text: str, metadata: dict[str, Any]) -> dict[str, Any]:
    return {"event": "bot", "text": text, "timestamp": time.time(), "metadata": metadata}


def append_events(settings: Settings, conversation_id: str, events: list[dict[str, Any]]) -> None:
    """Append `events` to the conversation and send its `bot` events to the customer."""
    url = f"{settings.rasa_url.rstrip('/')}/conversations/{quote(conversation_id, safe='')}/tracker/events"
    params = {"execute_side_effects": "true", "output_channel": SOCKETIO_CHANNEL, "include_events": "NONE"}
    if settings.rasa_api_token:
        params["token"] = settings.rasa_api_token
    _post(settings, url, params, events)


def _post(settings: Settings, url: str, params: dict[str, str] | None, body: Any) -> None:
    """POST to Rasa; RasaUnavailable unless it answers 200."""
    try:
        response = _http().post(url, params=params, json=body, timeout=settings.rasa_timeout_seconds)
    except httpx.HTTPError as exc:
        raise RasaUnavailable(f"the chat service at {settings.rasa_url} is unreachable ({type(exc).__name__})") from exc
    if response.status_code != 200:
        raise RasaUnavailable(f"the chat service at {settings.rasa_url} answered {response.status_code}")


def agent_typing(settings: Settings, conversation_id: str, name: str) -> None:
    """The customer's widget shows "<first name> is typing" for a few seconds."""
    url = f"{settings.rasa_url.rstrip('/')}/webhooks/{SOCKETIO_CHANNEL}/agent_typing"
    params = {"token": settings.rasa_api_token} if settings.rasa_api_token else None
    _post(settings, url, params, {"conversation_id": conversation_id} | agent_metadata(name))
