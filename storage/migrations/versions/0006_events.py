"""Community events (E1, E2, …) with RSVPs, a waitlist, and drafts of guided creation.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from storage.schema import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("starts_at", UtcDateTime, nullable=False),
        sa.Column("place", sa.String(100), nullable=False),
        sa.Column("capacity", sa.Integer),
        sa.Column("description", sa.Text),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("reported_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("reported_at", UtcDateTime),
    )
    op.create_table(
        "event_targets",
        sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), primary_key=True),
        sa.Column("group_name", sa.String(100), primary_key=True),
    )
    op.create_table(
        "event_rsvps",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), nullable=False),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("guests", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("queued_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("event_id", "person_id", name="uq_event_rsvp"),
    )
    op.create_table(
        "event_drafts",
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), primary_key=True),
        sa.Column("title", sa.String(100)),
        sa.Column("starts_at", UtcDateTime),
        sa.Column("place", sa.String(100)),
    )


def downgrade() -> None:
    op.drop_table("event_drafts")
    op.drop_table("event_rsvps")
    op.drop_table("event_targets")
    op.drop_table("events")
