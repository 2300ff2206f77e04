"""Whether the customer of a ticket's chat is still there (agent replies to one who left go by
email), when each agent was last seen (agents online), and which of an agent's turns are the
joined / handed back / closed lines (a reopened chat shows them as such).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("customer_seen_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tickets", sa.Column("customer_left_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tickets", sa.Column("first_agent_reply_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("staff_users", sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("transcript_turns", sa.Column("notice", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("first_agent_reply_at")
        batch.drop_column("customer_left_at")
        batch.drop_column("customer_seen_at")
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("last_seen_at")
    with op.batch_alter_table("transcript_turns") as batch:
        batch.drop_column("notice")
