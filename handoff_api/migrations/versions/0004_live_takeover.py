"""Live takeover: who holds a ticket's conversation, the turns written after the ticket was made
(the agent's among them, with its author) and how far the tracker store has been copied.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("held_by", sa.String(320), nullable=True))
    op.add_column("tickets", sa.Column("held_by_name", sa.String(200), nullable=True))
    op.add_column("tickets", sa.Column("held_since", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tickets", sa.Column("synced_event_id", sa.Integer(), nullable=True))
    op.add_column("transcript_turns", sa.Column("author", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("transcript_turns") as batch:
        batch.drop_column("author")
    with op.batch_alter_table("tickets") as batch:
        for name in ("synced_event_id", "held_since", "held_by_name", "held_by"):
            batch.drop_column(name)
