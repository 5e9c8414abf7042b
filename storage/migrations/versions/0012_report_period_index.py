"""The monthly statistics read from an index alone: filing time first, then every column
they count by (category, building, status, acknowledgement and resolution times).

Replaces 0011's index on the filing time, which it begins with. And an index on the kind
of report event, so the escalated and overdue reports are found from their (few) events.

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

COLUMNS = ["created_at", "category", "building", "status", "acknowledged_at", "resolved_at"]


def upgrade() -> None:
    op.create_index("ix_reports_period", "reports", COLUMNS)
    op.drop_index("ix_reports_created_at", "reports")
    op.create_index("ix_report_events_kind", "report_events", ["kind", "report_id"])


def downgrade() -> None:
    op.drop_index("ix_report_events_kind", "report_events")
    op.create_index("ix_reports_created_at", "reports", ["created_at"])
    op.drop_index("ix_reports_period", "reports")
