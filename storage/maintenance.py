"""`linli backup` and `linli migrate-data`: a live SQLite copied consistently, and a
community's data moved between databases with every row intact."""

from __future__ import annotations

from pathlib import Path

import aiosqlite
import sqlalchemy as sa

from storage.db import Database
from storage.schema import metadata

BATCH = 1000


async def backup_sqlite(url: str, out: Path) -> None:
    """A consistent copy of a live SQLite database (SQLite's online backup API)."""
    if not url.startswith("sqlite:///"):
        raise ValueError("linli backup copies SQLite files; for PostgreSQL use pg_dump")
    source = url.removeprefix("sqlite:///")
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        raise ValueError(f"{out} exists already; choose another file")
    async with aiosqlite.connect(source) as src, aiosqlite.connect(out) as dst:
        await src.backup(dst)


async def count_rows(db: Database) -> dict[str, int]:
    """Rows per table."""
    counts = {}
    async with db.unit_of_work() as uow:
        for table in metadata.sorted_tables:
            counts[table.name] = int(
                await uow.conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0
            )
    return counts


async def migrate_data(source_url: str, target_url: str) -> dict[str, int]:
    """Copy every row of every table from one database to another (migrated, empty)."""
    async with Database(source_url) as source, Database(target_url) as target:
        existing = await count_rows(target)
        if any(existing.values()):
            busy = ", ".join(f"{t} ({n})" for t, n in existing.items() if n)
            raise ValueError(f"the target database is not empty: {busy}")
        copied: dict[str, int] = {}
        # units of work, like every transaction: on SQLite they take their turn on the file
        async with source.unit_of_work() as reading, target.unit_of_work() as writing:
            src, dst = reading.conn, writing.conn
            for table in metadata.sorted_tables:
                copied[table.name] = 0
                result = await src.stream(sa.select(table))
                async for chunk in result.partitions(BATCH):
                    rows = [dict(r._mapping) for r in chunk]
                    await dst.execute(table.insert(), rows)
                    copied[table.name] += len(rows)
            if dst.dialect.name == "postgresql":
                for table in metadata.sorted_tables:
                    if "id" in table.c and table.c.id.primary_key:
                        await dst.execute(
                            sa.text(
                                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                            )
                        )
        return copied
