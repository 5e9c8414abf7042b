"""The directory's version: a counter in `meta`, bumped by every change to people, accounts,
roles, grids, buildings and leaves, so that each worker knows when its copy is stale.

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))


def upgrade() -> None:
    op.execute(meta.delete().where(meta.c.key == "directory_version"))
    op.execute(meta.insert().values(key="directory_version", value="1"))


def downgrade() -> None:
    op.execute(meta.delete().where(meta.c.key == "directory_version"))
