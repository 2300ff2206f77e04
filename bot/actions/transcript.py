"""Turn a Rasa tracker into the transcript a human agent reads (common/conversation.py reads the
events, the same way for every part that shows a conversation)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from common.conversation import transcript


def transcript_from_tracker(tracker: Tracker) -> list[dict[str, Any]]:
    """Every customer and bot turn of the conversation, in order, with secrets masked (a code typed
    when the bot asked for it, passwords, card numbers), as the handoff API takes it."""
    return [turn.as_payload() for turn in transcript(tracker.events)]


def customer_email(tracker: Tracker) -> str | None:
    """The address a ticket is filed under: only one the customer proved with a code. An address the
    NLU merely saw in a message could be anybody's."""
    return tracker.get_slot("verified_email")
