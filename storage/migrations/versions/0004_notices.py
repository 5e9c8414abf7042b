"""Scheduled notices (A1, A2, …), their target groups, and claimed occurrences.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from storage.schema import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("config_key", sa.String(100), unique=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("schedule", sa.String(200), nullable=False),
        sa.Column("cron", sa.String(100)),
        sa.Column("run_at", UtcDateTime),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("pin", sa.Boolean, nullable=False),
        sa.Column("rotate", sa.Boolean, nullable=False),
        sa.Column("rotation", sa.Integer, nullable=False),
        sa.Column("next_run_at", UtcDateTime),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("people.id")),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_notices_due", "notices", ["status", "next_run_at"])
    op.create_table(
        "notice_targets",
        sa.Column("notice_id", sa.Integer, sa.ForeignKey("notices.id"), primary_key=True),
        sa.Column("group_name", sa.String(100), primary_key=True),
    )
    op.create_table(
        "notice_occurrences",
        sa.Column("notice_id", sa.Integer, sa.ForeignKey("notices.id"), primary_key=True),
        sa.Column("scheduled_at", UtcDateTime, primary_key=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("pin", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("pin")
    op.drop_table("notice_occurrences")
    op.drop_table("notice_targets")
    op.drop_table("notices")
