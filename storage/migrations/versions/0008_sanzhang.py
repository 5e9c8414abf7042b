"""The 三长 network: households and their 邻长, visits, the chain of leads; service orders.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from storage.schema import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("leader_id", sa.Integer))
    op.create_table(
        "households",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("address", sa.String(100), nullable=False, unique=True),
        sa.Column("building", sa.String(50), nullable=False),
        sa.Column("key", sa.Boolean, nullable=False),
        sa.Column("reason", sa.String(50)),
        sa.Column("lead_id", sa.Integer, sa.ForeignKey("people.id")),
        sa.Column("area", sa.Float),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "household_members",
        sa.Column("household_id", sa.Integer, sa.ForeignKey("households.id"), primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), primary_key=True),
    )
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("household_id", sa.Integer, sa.ForeignKey("households.id"), nullable=False),
        sa.Column("by_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("note", sa.Text),
    )
    op.create_index("ix_visits_household", "visits", ["household_id", "at"])
    op.create_table(
        "service_orders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("service", sa.String(50), nullable=False),
        sa.Column("address", sa.String(100)),
        sa.Column("wanted", sa.String(100)),
        sa.Column("requester_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("provider_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("ack_due", UtcDateTime),
        sa.Column("acknowledged_at", UtcDateTime),
        sa.Column("resolved_at", UtcDateTime),
        sa.Column("resolution", sa.Text),
        sa.Column("rating", sa.String(20)),
        sa.Column("reminded", sa.Boolean, nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_table("service_orders")
    op.drop_index("ix_visits_household", "visits")
    op.drop_table("visits")
    op.drop_table("household_members")
    op.drop_table("households")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("leader_id")
