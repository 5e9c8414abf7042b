"""Every household vote kept: a later vote (the household's own, or a proxy's) replaces
the counted one in `votes`, and each cast, replaced or not, is a row of `vote_history`
(the export of a vote shows them all).

Revision ID: 0015_edges
Revises: 0014_worker_heartbeats
"""

import sqlalchemy as sa
from alembic import op

from storage.schema import UtcDateTime

revision = "0015_edges"
down_revision = "0014_worker_heartbeats"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vote_history",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("proposal_id", sa.Integer, sa.ForeignKey("proposals.id"), nullable=False),
        sa.Column("household_id", sa.Integer, sa.ForeignKey("households.id"), nullable=False),
        sa.Column("choice", sa.String(10), nullable=False),
        sa.Column("voter_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("proxy", sa.Boolean, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_vote_history_proposal", "vote_history", ["proposal_id", "id"])
    # the votes cast before this revision are their own history
    op.execute(
        "INSERT INTO vote_history (proposal_id, household_id, choice, voter_id, proxy, note, at)"
        " SELECT proposal_id, household_id, choice, voter_id, proxy, note, at FROM votes"
        " ORDER BY at"
    )


def downgrade() -> None:
    op.drop_index("ix_vote_history_proposal", "vote_history")
    op.drop_table("vote_history")
