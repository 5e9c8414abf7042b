"""Worker heartbeats: each `linli run` worker renews its row every second or so; a worker
whose row has gone stale is dead, and any live worker frees the outbox rows it held.
And outbox rows whose last try may have reached the chat (a request with no answer):
they are sent on their own afterwards, never merged into another message again.

Revision ID: 0014_worker_heartbeats
Revises: 0013_dead_letters
"""

import sqlalchemy as sa
from alembic import op

from storage.schema import UtcDateTime

revision = "0014_worker_heartbeats"
down_revision = "0013_dead_letters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worker_heartbeats",
        sa.Column("worker", sa.String(100), primary_key=True),
        sa.Column("started_at", UtcDateTime, nullable=False),
        sa.Column("beat_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_outbox_claimed_by", "outbox", ["claimed_by"])
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column("maybe_sent", sa.Boolean, nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("maybe_sent")
    op.drop_index("ix_outbox_claimed_by", "outbox")
    op.drop_table("worker_heartbeats")
