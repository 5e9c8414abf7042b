"""Outbox rows claimed by one worker at a time, with a lease; leases for connections.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

from storage.schema import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(100)))
        batch.add_column(sa.Column("claimed_until", UtcDateTime))
    op.create_table(
        "leases",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("holder", sa.String(100), nullable=False),
        sa.Column("until", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("leases")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claimed_until")
        batch.drop_column("claimed_by")
