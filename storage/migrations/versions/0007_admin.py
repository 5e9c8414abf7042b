"""Admin in chat: grid backups, leaves, the audit trail of changes, and stored metadata.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from storage.schema import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("grids") as batch:
        batch.add_column(sa.Column("backup_id", sa.Integer))
    op.create_table(
        "leaves",
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), primary_key=True),
        sa.Column("until", sa.Date, nullable=False),
        sa.Column("set_by", sa.Integer, sa.ForeignKey("people.id")),
        sa.Column("at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "admin_changes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("actor_id", sa.Integer, sa.ForeignKey("people.id")),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("meta")
    op.drop_table("admin_changes")
    op.drop_table("leaves")
    with op.batch_alter_table("grids") as batch:
        batch.drop_column("backup_id")
