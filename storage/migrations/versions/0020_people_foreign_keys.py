"""The two references to people that storage/schema.py declared and the migrations did not
create: a grid's backup (grids.backup_id) and who filed a report for someone else
(reports.filed_by_id).

On SQLite the tables are copied into their new form (batch mode). Other tables refer to both
(buildings and grid workers to grids, a report's events to reports), and SQLite checks those
references while the old table is dropped, with no way to switch the check off inside the
migration's transaction. So the rows are set aside first: the references they leave dangling
are only counted (deferred to the commit), the emptied table is rebuilt, and putting the rows
back settles the count before the commit checks it.

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

# PostgreSQL's own names for the foreign keys created with a table
KEYS = (
    ("grids", "grids_backup_id_fkey", "backup_id"),
    ("reports", "reports_filed_by_id_fkey", "filed_by_id"),
)


def _rebuild(table: str, change: Callable[[], None]) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        change()
        return
    columns = ", ".join(f'"{c["name"]}"' for c in sa.inspect(bind).get_columns(table))
    op.execute("PRAGMA defer_foreign_keys = ON")  # until the commit; reset by it
    op.execute(f'CREATE TEMP TABLE "_kept_{table}" AS SELECT {columns} FROM "{table}"')
    op.execute(f'DELETE FROM "{table}"')
    change()
    op.execute(f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM "_kept_{table}"')
    op.execute(f'DROP TABLE "_kept_{table}"')


def upgrade() -> None:
    for table, name, column in KEYS:

        def add(table: str = table, name: str = name, column: str = column) -> None:
            with op.batch_alter_table(table) as batch:
                batch.create_foreign_key(name, "people", [column], ["id"])

        _rebuild(table, add)


def downgrade() -> None:
    for table, name, _column in reversed(KEYS):

        def drop(table: str = table, name: str = name) -> None:
            with op.batch_alter_table(table) as batch:
                batch.drop_constraint(name, type_="foreignkey")

        _rebuild(table, drop)
