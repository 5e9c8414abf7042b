"""One-time login codes of the web workbench.

Revision ID: 0013_web
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

from storage.schema import UtcDateTime

revision = "0013_web"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_login_codes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.Column("used_at", UtcDateTime),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_web_login_codes_person", "web_login_codes", ["person_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_web_login_codes_person", "web_login_codes")
    op.drop_table("web_login_codes")
