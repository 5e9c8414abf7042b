"""Suggestions (建议), proposals (P1, P2, …) with household votes, and backers.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from storage.schema import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "suggestions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("answered_by", sa.Integer, sa.ForeignKey("people.id")),
        sa.Column("answer", sa.Text),
        sa.Column("answered_at", UtcDateTime),
        sa.Column("rating", sa.String(20)),
    )
    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scope", sa.String(50), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("deadline", UtcDateTime, nullable=False),
        sa.Column("rule", sa.String(20), nullable=False),
        sa.Column("participation", sa.String(20), nullable=False),
        sa.Column("consent", sa.String(20), nullable=False),
        sa.Column("consent_strict", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("backers_needed", sa.Integer, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("origin_platform", sa.String(20), nullable=False),
        sa.Column("origin_chat", sa.String(100), nullable=False),
        sa.Column("result", sa.Text),
        sa.Column("passed", sa.Boolean),
    )
    op.create_table(
        "proposal_backers",
        sa.Column("proposal_id", sa.Integer, sa.ForeignKey("proposals.id"), primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), primary_key=True),
    )
    op.create_table(
        "votes",
        sa.Column("proposal_id", sa.Integer, sa.ForeignKey("proposals.id"), primary_key=True),
        sa.Column("household_id", sa.Integer, sa.ForeignKey("households.id"), primary_key=True),
        sa.Column("choice", sa.String(10), nullable=False),
        sa.Column("voter_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("proxy", sa.Boolean, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("votes")
    op.drop_table("proposal_backers")
    op.drop_table("proposals")
    op.drop_table("suggestions")
