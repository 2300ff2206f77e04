"""The audit trail: one row per change to a ticket, written in the change's own transaction."""

from __future__ import annotations

from handoff_api.models import AuditEvent, Ticket, utcnow

BOT_ACTOR = "bot"


def record(
    ticket: Ticket,
    actor: str,
    action: str,
    field: str | None = None,
    old: str | None = None,
    new: str | None = None,
) -> AuditEvent:
    """Append to the ticket's trail (saved with the ticket when the session commits)."""
    event = AuditEvent(actor=actor, action=action, field=field, old_value=old, new_value=new, at=utcnow())
    ticket.audit.append(event)
    return event
