"""Voice messages received and not yet answered, kept so that a restart takes them up again.

Revision ID: 0018
Revises: 0013_web
"""

import sqlalchemy as sa
from alembic import op

from storage.schema import UtcDateTime

revision = "0018"
down_revision = "0013_web"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voice_jobs",
        sa.Column("platform", sa.String(20), primary_key=True),
        sa.Column("message_id", sa.String(200), primary_key=True),
        sa.Column("incoming", sa.Text, nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("voice_jobs")
