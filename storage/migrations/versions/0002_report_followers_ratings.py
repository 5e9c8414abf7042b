"""Reports in full: followers, ratings (评议), re-checks, filing on behalf, pending questions.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from storage.schema import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("filed_by_id", sa.Integer))
        batch.add_column(
            sa.Column("resolve_reminded", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("recheck_due", UtcDateTime))
    op.create_table(
        "report_followers",
        sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id"), primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), primary_key=True),
        sa.Column("at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "report_ratings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id"), nullable=False),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("rating", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_report_ratings_report_id", "report_ratings", ["report_id"])
    op.create_table(
        "pending_questions",
        sa.Column("platform", sa.String(20), primary_key=True),
        sa.Column("chat_id", sa.String(100), primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("photo", sa.String(300)),
        sa.Column("expires_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pending_questions")
    op.drop_table("report_ratings")
    op.drop_table("report_followers")
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("recheck_due")
        batch.drop_column("resolve_reminded")
        batch.drop_column("filed_by_id")
