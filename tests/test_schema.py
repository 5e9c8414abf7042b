"""One schema: the migrated database is what storage/schema.py declares, on both backends."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from storage import Database
from storage.db import MIGRATIONS
from storage.schema import metadata

BOTH_BACKENDS = True  # this suite runs on SQLite and on PostgreSQL


def differences(sync_conn: sa.Connection) -> list[Any]:
    """What Alembic's autogenerate would change to make the database match schema.py."""
    context = MigrationContext.configure(
        sync_conn, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, metadata))


async def test_the_migrated_database_is_the_schema(database_url: str) -> None:
    async with Database(database_url) as db, db.engine.connect() as conn:
        found = await conn.run_sync(differences)
    assert found == []


async def migrate_to(db: Database, revision: str, *, down: bool = False) -> None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))

    def migrate(sync_conn: sa.Connection) -> None:
        cfg.attributes["connection"] = sync_conn
        (command.downgrade if down else command.upgrade)(cfg, revision)

    async with db.engine.begin() as conn:
        await conn.run_sync(migrate)


ROWS = (
    "INSERT INTO people (id, name, elderly, lives_alone, created_at)"
    " VALUES (1, '王辉', false, false, '2026-11-26 01:00:00'),"
    " (2, '李娜', false, false, '2026-11-26 01:00:00')",
    "INSERT INTO grids (id, name, backup_id) VALUES (1, '第一网格', 2)",
    "INSERT INTO buildings (name, grid_id) VALUES ('3栋', 1)",
    "INSERT INTO grid_workers (grid_id, person_id) VALUES (1, 2)",
    "INSERT INTO reports (id, reporter_id, building, known_building, text, category, urgent,"
    " status, level, origin_platform, origin_chat, created_at, filed_by_id) VALUES (1, 1, '3栋',"
    " true, '飞线', '飞线充电', false, 'open', 0, 'console', 'group', '2026-11-26 01:00:00', 2)",
    "INSERT INTO report_events (report_id, kind, at) VALUES (1, 'filed', '2026-11-26 01:00:00')",
    "INSERT INTO report_followers (report_id, person_id, at) VALUES (1, 2, '2026-11-26 01:00:00')",
)


async def test_the_foreign_keys_are_added_under_existing_rows(database_url: str) -> None:
    db = Database(database_url)
    try:
        await migrate_to(db, "0019")
        async with db.engine.begin() as conn:
            for statement in ROWS:
                await conn.execute(sa.text(statement))
        await db.migrate()  # 0020: the tables referred to by others are rebuilt on SQLite
        await migrate_to(db, "0019", down=True)  # and back, and again: the rows stay
        await db.migrate()
        async with db.engine.connect() as conn:
            assert await conn.run_sync(differences) == []
            kept = (
                await conn.execute(
                    sa.text(
                        "SELECT g.backup_id, r.filed_by_id, b.grid_id,"
                        " (SELECT count(*) FROM report_events WHERE report_id = r.id),"
                        " (SELECT count(*) FROM report_followers WHERE report_id = r.id)"
                        " FROM grids g, reports r, buildings b"
                    )
                )
            ).one()
            assert tuple(kept) == (2, 2, 1, 1, 1)
            if db.engine.dialect.name == "sqlite":
                assert (await conn.execute(sa.text("PRAGMA foreign_key_check"))).all() == []
        for statement in (
            "UPDATE grids SET backup_id = 99",
            "UPDATE reports SET filed_by_id = 99",
        ):
            with pytest.raises(IntegrityError):
                async with db.engine.begin() as conn:
                    await conn.execute(sa.text(statement))
    finally:
        await db.close()
