"""`linli backup` and `linli migrate-data`: a live SQLite copied consistently, and a
community's data moved between databases with every row intact."""

from __future__ import annotations

from pathlib import Path

import aiosqlite
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from storage.db import Database, async_url
from storage.schema import meta, metadata

BATCH = 1000


async def require_existing(url: str) -> None:
    """A database a command reads must exist and be linli's: ValueError (Chinese / English)
    otherwise, and nothing is created — opening a missing SQLite file would make it."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.is_file():
            raise ValueError(f"数据库文件不存在：{path} / no such database file: {path}")
        try:
            async with aiosqlite.connect(f"file:{path.resolve()}?mode=ro", uri=True) as conn:
                rows = await conn.execute_fetchall(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
                )
        except aiosqlite.DatabaseError:
            rows = []
        if not list(rows):
            raise ValueError(f"不是邻里的数据库：{path} / not a linli database: {path}")
        return
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as conn:
            found = await conn.run_sync(lambda c: sa.inspect(c).has_table("alembic_version"))
    except (OSError, sa.exc.SQLAlchemyError) as exc:
        why = (str(getattr(exc, "orig", None) or exc).splitlines() or [type(exc).__name__])[0]
        raise ValueError(f"无法打开数据库 / cannot open the database: {why}") from None
    finally:
        await engine.dispose()
    if not found:
        raise ValueError("不是邻里的数据库 / not a linli database")


async def backup_sqlite(url: str, out: Path) -> None:
    """A consistent copy of a live SQLite database (SQLite's online backup API)."""
    if not url.startswith("sqlite:///"):
        raise ValueError(
            "linli backup 只复制 SQLite 文件，PostgreSQL 请用 pg_dump"
            " / linli backup copies SQLite files; for PostgreSQL use pg_dump"
        )
    await require_existing(url)
    source = url.removeprefix("sqlite:///")
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        raise ValueError(f"{out} 已存在，请换一个文件名 / {out} exists already: choose another")
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
    await require_existing(source_url)
    async with Database(source_url) as source, Database(target_url) as target:
        # the migrations seed `meta` (the directory's version): the source's rows replace them
        existing = {t: n for t, n in (await count_rows(target)).items() if t != meta.name}
        if any(existing.values()):
            busy = ", ".join(f"{t} ({n})" for t, n in existing.items() if n)
            raise ValueError(f"目标数据库不是空的 / the target database is not empty: {busy}")
        copied: dict[str, int] = {}
        # units of work, like every transaction: on SQLite they take their turn on the file
        async with source.unit_of_work() as reading, target.unit_of_work() as writing:
            src, dst = reading.conn, writing.conn
            await dst.execute(meta.delete())
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
