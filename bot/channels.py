"""Rasa's REST and socket.io channels with the customer's message checked first (credentials.yml).

A message longer than MAX_MESSAGE_CHARS (2,000 by default, as the widget's own limit) is answered
at once with a clear reply and never reaches the NLU: a 1 MB paste would otherwise keep the Rasa
process busy for half a minute while every other conversation waits. Control characters are
removed and the text is normalised to NFC before anything reads it.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput

DEFAULT_MAX_MESSAGE_CHARS = 2000
TOO_LONG = (
    "That message is too long for me ({length:,} characters; I read up to {limit:,}). Please send the key "
    "part, or I can pass it to a person."
)
TALK_TO_PERSON = {"title": "Talk to a person", "payload": "/request_human"}
# C0/C1 control characters except tab and newline, and the Unicode "non-characters" of no meaning.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def max_message_chars() -> int:
    try:
        return max(1, int(os.environ.get("MAX_MESSAGE_CHARS", DEFAULT_MAX_MESSAGE_CHARS)))
    except ValueError:
        return DEFAULT_MAX_MESSAGE_CHARS


def clean_text(text: Any) -> str:
    """Text as the pipeline may read it: a string, NFC, without control characters."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    return _CONTROL.sub("", unicodedata.normalize("NFC", text))


def guarded(on_new_message: OnNewMessage) -> OnNewMessage:
    limit = max_message_chars()

    async def handle(message: UserMessage) -> Any:
        message.text = clean_text(message.text)
        if len(message.text) > limit:
            reply = TOO_LONG.format(length=len(message.text), limit=limit)
            await message.output_channel.send_text_with_buttons(message.sender_id, reply, [TALK_TO_PERSON])
            return None
        return await on_new_message(message)

    return handle


class GuardedRestInput(RestInput):
    """Rasa's REST channel (same URL: /webhooks/rest/webhook) with the message checked first."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: OnNewMessage):  # noqa: ANN201 - a Sanic Blueprint
        return super().blueprint(guarded(on_new_message))


class GuardedSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel (same path and events) with the message checked first."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: OnNewMessage):  # noqa: ANN201 - a Sanic Blueprint
        return super().blueprint(guarded(on_new_message))
