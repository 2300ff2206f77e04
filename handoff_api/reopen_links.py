"""Links that reopen a conversation in the widget: the help page at `?conversation=<token>` shows
its whole history (from the ticket's transcript) and the widget goes on in the same conversation.

The token is the conversation id signed with a timestamp (itsdangerous): whoever holds the link
can read and continue that chat, as whoever holds the customer's browser can, for
REOPEN_LINK_DAYS. The history is the ticket's redacted transcript.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from handoff_api.db import Database
from handoff_api.models import Ticket
from handoff_api.settings import Settings

SALT = "reopen-conversation"
QUERY_PARAMETER = "conversation"


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    secret = settings.reopen_link_secret
    if not secret:  # one secret less to manage: derived from the bot token every process has
        secret = hmac.new(settings.handoff_bot_token.encode(), b"reopen-links", hashlib.sha256).hexdigest()
    return URLSafeTimedSerializer(secret, salt=SALT)


def reopen_token(settings: Settings, conversation_id: str) -> str:
    return _serializer(settings).dumps(conversation_id)


def reopen_url(settings: Settings, conversation_id: str) -> str:
    base = settings.help_site_url.rstrip("/")
    return f"{base}/?{urlencode({QUERY_PARAMETER: reopen_token(settings, conversation_id)})}"


def conversation_from_token(settings: Settings, token: str) -> str | None:
    """The conversation id, or None for a forged, damaged or expired link."""
    try:
        value = _serializer(settings).loads(token, max_age=settings.reopen_link_days * 86400)
    except BadSignature:  # SignatureExpired is one
        return None
    return value if isinstance(value, str) and value else None


def latest_ticket_id(db: Database, conversation_id: str) -> str | None:
    with db.read_session() as session:
        query = (
            select(Ticket.id)
            .where(Ticket.conversation_id == conversation_id)
            .order_by(Ticket.created_at.desc())
            .limit(1)
        )
        return session.scalar(query)


def widget_history(ticket: Ticket) -> dict[str, Any]:
    """The widget's stored-state shape (web/widget/src/storage.js): who wrote what, agents by name."""
    messages = []
    for turn in ticket.turns:
        if not turn.text:
            continue
        message: dict[str, Any] = {"id": f"t{turn.seq}", "from": "user" if turn.sender == "customer" else "bot"}
        message["text"] = turn.text
        if turn.sender == "agent" and turn.author:
            message["agent"] = {"name": turn.author, "initial": turn.author.strip()[:1].upper()}
            if turn.notice:
                message["notice"] = turn.notice
        messages.append(message)
    return {"sessionId": ticket.conversation_id, "messages": messages, "ticket": {"id": ticket.id, "kind": "ticket"}}
