"""Dead letters: inbound updates that could not be parsed or handled, kept raw for an admin
to list and replay; and the chats outside the served ones the bot has already answered once.

Revision ID: 0013_dead_letters
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

from storage.schema import UtcDateTime

revision = "0013_dead_letters"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("ref", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("raw", sa.Text, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("replayed_at", UtcDateTime),
        sa.Column("replay_of", sa.Integer),
    )
    op.create_index("ix_dead_letters_replayed_at", "dead_letters", ["replayed_at", "id"])
    op.create_table(
        "stranger_chats",
        sa.Column("platform", sa.String(20), primary_key=True),
        sa.Column("chat_id", sa.String(100), primary_key=True),
        sa.Column("is_group", sa.Boolean, nullable=False),
        sa.Column("first_seen", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("stranger_chats")
    op.drop_index("ix_dead_letters_replayed_at", "dead_letters")
    op.drop_table("dead_letters")
