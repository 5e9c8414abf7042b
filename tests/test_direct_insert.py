"""storage.conn.insert: a prebuilt INSERT run as its compiled SQL string on SQLite writes
exactly what SQLAlchemy's own execution writes, on both backends."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from storage import Database
from storage.conn import Inserted, insert, new_id, off_loop
from storage.inbound import _REMEMBER
from storage.outbox import _ENQUEUE
from storage.people import _REGISTER_ACCOUNT, _REGISTER_PERSON
from storage.reports import _ADD_EVENT, _FILE
from storage.schema import UtcDateTime, outbox, people, report_events, reports
from tests.fakes import outbox_row

BOTH_BACKENDS = True

# an aware time not in UTC: the bind processor must turn it into UTC, as SQLAlchemy does
AT = datetime(2026, 11, 26, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))


def _without(row: sa.Row[Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in row._mapping.items() if k not in names}


async def test_every_hot_insert_writes_what_sqlalchemy_writes(database_url: str) -> None:
    async with Database(database_url) as db, db.engine.begin() as conn:
        person = {"name": "王阿姨", "elderly": True, "lives_alone": False, "created_at": AT}
        a = await insert(conn, _REGISTER_PERSON, person)
        b = (await conn.execute(_REGISTER_PERSON, person)).inserted_primary_key
        assert a.rows == 1 and a.id is not None and b is not None and b[0] == a.id + 1
        rows = (await conn.execute(people.select().order_by(people.c.id))).all()
        assert _without(rows[-2], "id") == _without(rows[-1], "id")
        assert rows[-1].created_at == AT.astimezone(UTC)  # aware, in UTC, read back

        account = {"platform": "telegram", "native_id": "7", "person_id": a.id}
        assert (await insert(conn, _REGISTER_ACCOUNT, account | {"display_name": "王"})).rows == 1
        # a key a unique index refuses: SQLAlchemy's IntegrityError, as from execute
        savepoint = await conn.begin_nested()
        with pytest.raises(sa.exc.IntegrityError):
            await insert(conn, _REGISTER_ACCOUNT, account | {"display_name": "又一个"})
        await savepoint.rollback()

        report = {
            "reporter_id": a.id,
            "building": "3栋",
            "known_building": True,
            "unit": None,
            "room": "201",
            "text": "楼道飞线充电",
            "category": "fire",
            "urgent": False,
            "status": "open",
            "assignee_id": None,
            "level": 0,
            "origin_platform": "telegram",
            "origin_chat": "-100",
            "photo": None,
            "created_at": AT,
            "ack_due": AT + timedelta(minutes=30),
            "filed_by_id": None,
            "resolve_reminded": False,
        }
        r1 = new_id(await insert(conn, _FILE, report))
        key = (await conn.execute(_FILE, report)).inserted_primary_key
        assert key is not None
        got = (await conn.execute(reports.select().where(reports.c.id.in_([r1, key[0]])))).all()
        assert len(got) == 2 and _without(got[0], "id") == _without(got[1], "id")

        event = {"report_id": r1, "kind": "filed", "actor_id": a.id, "at": AT, "note": None}
        await insert(conn, _ADD_EVENT, event)
        await conn.execute(_ADD_EVENT, event)
        got = (await conn.execute(report_events.select().order_by(report_events.c.id))).all()
        assert _without(got[0], "id") == _without(got[1], "id")

        # outbox rows leave maybe_sent to the column's default: the direct path applies it
        row = outbox_row(AT)
        o1 = new_id(await insert(conn, _ENQUEUE, row))
        await conn.execute(_ENQUEUE, row)
        got = (await conn.execute(outbox.select().order_by(outbox.c.id))).all()
        assert got[0].id == o1 and _without(got[0], "id") == _without(got[1], "id")
        assert got[0].maybe_sent is False and got[0].buttons == row["buttons"]


async def test_an_insert_that_meets_its_row_inserts_none(database_url: str) -> None:
    async with Database(database_url) as db, db.engine.begin() as conn:
        remember = _REMEMBER[conn.dialect.name == "postgresql"]
        row = {"platform": "telegram", "message_id": "42", "received_at": AT}
        first = await insert(conn, remember, row)
        again = await insert(conn, remember, row)
        assert first.rows == 1 and again == Inserted(0, None)


async def test_what_it_cannot_compile_once_goes_through_sqlalchemy(tmp_path: Any) -> None:
    """A default computed per row: SQLAlchemy's own execution. RETURNING: refused."""
    meta = sa.MetaData()
    counter = iter(range(100, 200))
    table = sa.Table(
        "t",
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("n", sa.Integer, nullable=False, default=lambda: next(counter)),
        sa.Column("v", sa.String, nullable=False),
    )
    async with Database(f"sqlite:///{tmp_path / 'd.db'}") as db, db.engine.begin() as conn:
        await conn.run_sync(meta.create_all)
        stmt, returning = table.insert(), table.insert().returning(table.c.id)
        first = await insert(conn, stmt, {"v": "a"})
        second = await insert(conn, stmt, {"v": "b"})
        third = await insert(conn, stmt, {"v": "c", "n": 7})  # given: compiled once
        with pytest.raises(ValueError, match="RETURNING"):
            await insert(conn, returning, {"v": "d"})
        rows = (await conn.execute(sa.select(table.c.id, table.c.n, table.c.v))).all()
    assert (first.id, second.id, third.id) == (1, 2, 3)
    assert [tuple(r) for r in rows] == [(1, 100, "a"), (2, 101, "b"), (3, 7, "c")]


async def test_a_direct_insert_is_seen_by_the_statement_events(tmp_path: Any) -> None:
    """The statement counts of the benchmarks and tests (before_cursor_execute) include it."""
    async with Database(f"sqlite:///{tmp_path / 'e.db'}") as db:
        seen: list[str] = []

        def record(*args: Any) -> None:
            seen.append(args[2])

        sa.event.listen(db.engine.sync_engine, "before_cursor_execute", record)
        try:
            async with db.engine.begin() as conn:
                row = {"platform": "console", "message_id": "1", "received_at": AT}
                await insert(conn, _REMEMBER[False], row)
        finally:
            sa.event.remove(db.engine.sync_engine, "before_cursor_execute", record)
    assert [s for s in seen if s.startswith("INSERT")] == [
        "INSERT INTO inbound (platform, message_id, received_at) VALUES (?, ?, ?)"
        " ON CONFLICT (platform, message_id) DO NOTHING"
    ]


_META = sa.MetaData()
_T = sa.Table(
    "t",
    _META,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("n", sa.Integer, nullable=False, default=0),
    sa.Column("v", sa.String, nullable=False, unique=True),
    sa.Column("at", UtcDateTime),
)


class _IntId(sa.TypeDecorator[int]):
    impl = sa.Integer
    cache_ok = True


_U = sa.Table("u", _META, sa.Column("id", _IntId, primary_key=True), sa.Column("v", sa.String))


async def test_at_the_edges_it_does_what_execute_does(tmp_path: Any) -> None:
    """Found by a review, each failing before: a statement's own values, an integer key
    through a TypeDecorator, ON CONFLICT after an insert (SQLite keeps the last rowid), the
    off_loop mark, a value its type refuses; return_defaults() is refused like RETURNING."""
    async with Database(f"sqlite:///{tmp_path / 'g.db'}") as db, db.engine.begin() as conn:
        await conn.run_sync(_META.create_all)
        own = _T.insert().values(n=5)
        await insert(conn, own, {"v": "direct"})
        await conn.execute(own, {"v": "execute"})
        got = dict((await conn.execute(sa.select(_T.c.v, _T.c.n))).all())
        assert got == {"direct": 5, "execute": 5}

        key = (await conn.execute(_U.insert(), {"v": "a"})).inserted_primary_key
        assert key is not None and (await insert(conn, _U.insert(), {"v": "b"})).id == key[0] + 1

        fresh = await insert(conn, _T.insert(), {"v": "x"})
        met = await insert(conn, sqlite.insert(_T).on_conflict_do_nothing(), {"v": "x"})
        assert fresh.rows == 1 and fresh.id is not None and met == Inserted(0, None)

        with pytest.raises(ValueError, match="RETURNING"):
            await insert(conn, _T.insert().return_defaults(), {"v": "y"})

        threads: list[str] = []

        def record(*_: Any) -> None:
            threads.append(threading.current_thread().name)

        sa.event.listen(db.engine.sync_engine, "before_cursor_execute", record)
        try:
            await insert(conn, off_loop(_T.insert()), {"v": "far"})
        finally:
            sa.event.remove(db.engine.sync_engine, "before_cursor_execute", record)
        assert threads == ["linli-sqlite_0"]  # on the database's thread, as execute runs it

        naive = {"v": "naive", "at": datetime(2026, 1, 1)}
        for way in (conn.execute, partial(insert, conn)):
            savepoint = await conn.begin_nested()
            with pytest.raises(sa.exc.StatementError, match="naive"):
                await way(_T.insert(), naive)
            await savepoint.rollback()


async def test_times_are_stored_as_the_same_text(tmp_path: Any) -> None:
    """Not only read back alike: SQLite compares stored times as text."""
    async with Database(f"sqlite:///{tmp_path / 'h.db'}") as db, db.engine.begin() as conn:
        await conn.run_sync(_META.create_all)
        await insert(conn, _T.insert(), {"v": "direct", "at": AT})
        await conn.execute(_T.insert(), {"v": "execute", "at": AT})
        stored = (await conn.execute(sa.text("SELECT at FROM t ORDER BY id"))).scalars().all()
    assert stored[0] == stored[1] == "2026-11-26 01:30:15.123456"
