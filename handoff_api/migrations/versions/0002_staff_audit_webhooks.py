"""Customer name/verified, assignee, pick-up promise, idempotency keys; notes, audit trail,
staff users and webhook deliveries.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs (no batch copy): SQLite and PostgreSQL both do them in place.
    op.add_column("tickets", sa.Column("customer_name", sa.String(200), nullable=True))
    op.add_column("tickets", sa.Column("customer_verified", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("tickets", sa.Column("assignee", sa.String(320), nullable=True))
    op.add_column("tickets", sa.Column("expected_pickup_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tickets", sa.Column("pickup_message", sa.Text(), nullable=False, server_default=""))
    op.add_column("tickets", sa.Column("idempotency_key", sa.String(255), nullable=True))
    op.add_column("tickets", sa.Column("request_hash", sa.String(64), nullable=True))
    op.create_index("ix_tickets_assignee", "tickets", ["assignee"])
    op.create_index("ix_tickets_created_at", "tickets", ["created_at"])
    op.create_index("uq_tickets_idempotency_key", "tickets", ["idempotency_key"], unique=True)

    op.create_table(
        "ticket_notes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.String(16), sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("author", sa.String(320), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ticket_notes_ticket_id", "ticket_notes", ["ticket_id"])
    op.create_table(
        "ticket_audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.String(16), sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("field", sa.String(32), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ticket_audit_ticket_id", "ticket_audit", ["ticket_id"])
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("email", name="uq_staff_users_email"),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("ticket_id", sa.String(16), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_webhook_deliveries_ticket_id", "webhook_deliveries", ["ticket_id"])
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("staff_users")
    op.drop_table("ticket_audit")
    op.drop_table("ticket_notes")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("uq_tickets_idempotency_key")
        batch.drop_index("ix_tickets_created_at")
        batch.drop_index("ix_tickets_assignee")
        for column in (
            "request_hash",
            "idempotency_key",
            "pickup_message",
            "expected_pickup_at",
            "assignee",
            "customer_verified",
            "customer_name",
        ):
            batch.drop_column(column)
