"""Canteen menus and meal sign-ups; claims for jobs that must happen once; birth years.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from storage.schema import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "menus",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("meal", sa.String(10), primary_key=True),
        sa.Column("items", sa.Text, nullable=False),
        sa.Column("set_by", sa.Integer, sa.ForeignKey("people.id")),
        sa.Column("set_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "meal_signups",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("meal", sa.String(10), nullable=False),
        sa.Column("portions", sa.Integer, nullable=False),
        sa.Column("delivery", sa.Boolean, nullable=False),
        sa.Column("note", sa.String(200)),
        sa.Column("signed_by", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("person_id", "day", "meal", name="uq_meal_signup"),
    )
    op.create_index("ix_meal_signups_day", "meal_signups", ["day", "meal", "status"])
    op.create_table(
        "claims",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("at", UtcDateTime, nullable=False),
    )
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("birth_year", sa.Integer))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("document", sa.String(500)))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("document")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("birth_year")
    op.drop_table("claims")
    op.drop_table("meal_signups")
    op.drop_table("menus")
