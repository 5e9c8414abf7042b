"""Accounts the platform refuses to message (blocked, never started), and outbox by chat.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from storage.schema import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("unreachable_since", UtcDateTime))
        batch.add_column(sa.Column("unreachable_reason", sa.String(200)))
    op.create_index("ix_outbox_chat", "outbox", ["status", "platform", "chat_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_chat", "outbox")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("unreachable_reason")
        batch.drop_column("unreachable_since")
