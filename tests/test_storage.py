"""Storage: migrations on a fresh file, WAL mode, units of work that roll back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage import Database, NotFound

AT = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)


async def test_migrations_create_the_schema_and_are_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    async with Database(url) as db:
        await db.migrate()  # a second time changes nothing
        async with db.engine.connect() as conn:
            tables = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
            mode = await conn.scalar(sa.text("PRAGMA journal_mode"))
            version = await conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
    assert {"people", "reports", "report_events", "outbox", "inbound"} <= set(tables)
    assert mode == "wal" and version == "0001"


async def test_unit_of_work_rolls_back_on_error(tmp_path: Path) -> None:
    async with Database(f"sqlite:///{tmp_path / 'b.db'}") as db:
        with pytest.raises(RuntimeError):
            async with db.unit_of_work() as uow:
                await uow.people.register(
                    platform="telegram", native_id="1", display_name="甲", at=AT
                )
                raise RuntimeError("crash mid-message")
        async with db.unit_of_work() as uow:
            assert await uow.people.by_account(platform="telegram", native_id="1") is None
            with pytest.raises(NotFound):
                await uow.people.get(person_id=1)


async def test_times_come_back_aware_and_equal(tmp_path: Path) -> None:
    async with Database(f"sqlite:///{tmp_path / 'c.db'}") as db:
        async with db.unit_of_work() as uow:
            person = await uow.people.register(
                platform="console", native_id="x", display_name="x", at=AT
            )
            await uow.outbox.enqueue(
                platform="console",
                chat_id="x",
                is_group=False,
                text="hi",
                buttons=[("a", "b")],
                photo=None,
                mention=None,
                person_id=person.id,
                at=AT,
            )
        async with db.unit_of_work() as uow:
            [row] = await uow.outbox.due(now=AT, platforms=["console"], limit=5)
            assert row.created_at == AT and row.created_at.tzinfo is not None
            assert row.buttons == (("a", "b"),)
            assert await uow.outbox.next_due_at(platforms=["console"]) == AT
