"""Structured messages for the web widget (a citation card, the ticket banner).

Rasa's socket.io channel emits a custom payload's "data" as the bot_uttered event, so the widget
receives {"tier0": {...}}; the REST channel returns it under "custom". The text of the same turn
always says the same thing in words, for channels that ignore custom payloads.
"""

from __future__ import annotations

from typing import Any


def widget_payload(**parts: dict[str, Any]) -> dict[str, Any]:
    """A custom payload: widget_payload(citation={...}) or widget_payload(ticket={...})."""
    return {"data": {"tier0": parts}}
