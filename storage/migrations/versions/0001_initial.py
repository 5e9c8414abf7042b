"""Initial schema: people and places, hazard reports with their events, outbox, inbound dedup.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from storage.schema import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("config_name", sa.String(100), unique=True),
        sa.Column("address", sa.String(100)),
        sa.Column("phone", sa.String(40)),
        sa.Column("elderly", sa.Boolean, nullable=False),
        sa.Column("lives_alone", sa.Boolean, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "accounts",
        sa.Column("platform", sa.String(20), primary_key=True),
        sa.Column("native_id", sa.String(100), primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
    )
    op.create_index("ix_accounts_person_id", "accounts", ["person_id"])
    op.create_table(
        "person_roles",
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), primary_key=True),
        sa.Column("role", sa.String(30), primary_key=True),
    )
    op.create_table(
        "grids",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
    )
    op.create_table(
        "buildings",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("grid_id", sa.Integer, sa.ForeignKey("grids.id")),
    )
    op.create_table(
        "grid_workers",
        sa.Column("grid_id", sa.Integer, sa.ForeignKey("grids.id"), primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), primary_key=True),
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reporter_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("building", sa.String(50)),
        sa.Column("known_building", sa.Boolean, nullable=False),
        sa.Column("unit", sa.String(20)),
        sa.Column("room", sa.String(20)),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("urgent", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("assignee_id", sa.Integer, sa.ForeignKey("people.id")),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("origin_platform", sa.String(20), nullable=False),
        sa.Column("origin_chat", sa.String(100), nullable=False),
        sa.Column("photo", sa.String(300)),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("ack_due", UtcDateTime),
        sa.Column("acknowledged_at", UtcDateTime),
        sa.Column("resolve_due", UtcDateTime),
        sa.Column("resolved_at", UtcDateTime),
        sa.Column("resolution", sa.Text),
    )
    op.create_index("ix_reports_reporter_id", "reports", ["reporter_id"])
    op.create_index("ix_reports_status", "reports", ["status"])
    op.create_index("ix_reports_assignee_id", "reports", ["assignee_id"])
    op.create_table(
        "report_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id"), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("actor_id", sa.Integer, sa.ForeignKey("people.id")),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("note", sa.Text),
    )
    op.create_index("ix_report_events_report_id", "report_events", ["report_id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("chat_id", sa.String(100), nullable=False),
        sa.Column("is_group", sa.Boolean, nullable=False),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id")),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("buttons", sa.JSON, nullable=False),
        sa.Column("photo", sa.String(300)),
        sa.Column("mention", sa.String(100)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("not_before", UtcDateTime, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("sent_at", UtcDateTime),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_outbox_due", "outbox", ["status", "not_before"])
    op.create_table(
        "inbound",
        sa.Column("platform", sa.String(20), primary_key=True),
        sa.Column("message_id", sa.String(200), primary_key=True),
        sa.Column("received_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "inbound",
        "outbox",
        "report_events",
        "reports",
        "grid_workers",
        "buildings",
        "grids",
        "person_roles",
        "accounts",
        "people",
    ):
        op.drop_table(table)
