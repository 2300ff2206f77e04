"""The turns of a ticket's conversation after the ticket was made, copied from Rasa's tracker store
into the ticket: what the customer wrote while an agent held the chat (the bot paused), the agent's
messages, the bot's answers after the hand-back. The ticket then shows the whole conversation in
order with who wrote each turn, and keeps it after the tracker store has forgotten it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from common.event_metadata import AGENT, NOTICE, ROUTED_AGAIN
from common.redaction import redact
from handoff_api.models import Ticket, TranscriptTurn
from insights.conversations import customer_text
from insights.service import Insights
from insights.tracker_events import StoreUnavailable, TrackerEvent


def _turn(event: TrackerEvent) -> TranscriptTurn | None:
    data = event.data
    if event.type_name == "user":
        if (data.get("metadata") or {}).get(ROUTED_AGAIN):
            return None  # the bot re-reading a message the customer typed once
        intent = (data.get("parse_data") or {}).get("intent") or {}
        text, _tapped = customer_text(data)
        return TranscriptTurn(
            time=event.time,
            sender="customer",
            text=redact(text),
            intent=intent.get("name"),
            confidence=intent.get("confidence"),
            entities=[],
        )
    if event.type_name == "bot" and data.get("text"):
        metadata = data.get("metadata") or {}
        agent = metadata.get(AGENT) or {}
        if agent.get("name"):
            notice = metadata.get(NOTICE) if isinstance(metadata.get(NOTICE), str) else None
            return TranscriptTurn(
                time=event.time, sender="agent", author=str(agent["name"]), text=data["text"], notice=notice
            )
        return TranscriptTurn(time=event.time, sender="bot", text=data["text"])
    return None


def sync_turns(session: Session, insights: Insights, ticket: Ticket) -> int:
    """Copy the conversation's turns stored since the last copy (since the ticket was made, the
    first time) into `ticket`, in the session's transaction; how many. The caller holds the
    ticket's row (a write session), so two copies at once cannot add a turn twice. No tracker
    store yet (nobody has chatted since it was set up): nothing to copy."""
    try:
        if ticket.synced_event_id is None:
            events = insights.conversation_events(ticket.conversation_id, start=ticket.created_at)
        else:
            events = insights.conversation_events(ticket.conversation_id, after_id=ticket.synced_event_id)
    except StoreUnavailable:
        return 0
    if not events:
        return 0
    seq = max((t.seq for t in ticket.turns), default=-1)
    added = 0
    for event in events:
        turn = _turn(event)
        if turn is not None:
            seq += 1
            turn.seq = seq
            ticket.turns.append(turn)
            added += 1
    ticket.synced_event_id = events[-1].id
    return added
