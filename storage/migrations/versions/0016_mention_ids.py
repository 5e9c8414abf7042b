"""The platform id of the person a group answer @-mentions, beside their display name, so a
mention notifies them (WeChat's mention ids, Telegram's text mentions) even after a restart
and when several answers are merged into one message.

Revision ID: 0016
Revises: 0015_edges
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015_edges"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("mention_id", sa.String(100)))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("mention_id")
