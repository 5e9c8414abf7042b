"""The directory held in memory: each worker's copy follows every committed change made by any
worker (checked by one statement per unit of work), and never a rolled-back one."""

from __future__ import annotations

import ast
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import storage
from bot.config import Config
from handlers.clock import ManualClock
from storage import Database
from storage.directory import VERSION_KEY, DirectoryView, Snapshot, load
from storage.people import PeopleRepository
from storage.uow import UnitOfWork
from tests.fakes import Bot, incoming, to

BOTH_BACKENDS = True  # this suite runs on SQLite and on PostgreSQL


@pytest.fixture
async def workers(cfg: Config, clock: ManualClock) -> AsyncIterator[tuple[Bot, Bot]]:
    """Two workers on one database: two Databases, two Apps."""
    async with Database(cfg.storage.url) as first, Database(cfg.storage.url) as second:
        a, b = Bot(cfg, clock, first), Bot(cfg, clock, second)
        await a.app.start()
        await b.app.start()
        yield a, b


async def person_id(db: Database, name: str) -> int:
    async with db.unit_of_work() as uow:
        person = await uow.people.find_by_name(name=name)
        assert person is not None
        return person.id


async def test_a_change_by_another_worker_is_seen_on_the_next_message(
    workers: tuple[Bot, Bot],
) -> None:
    a, b = workers
    said = await a.say("小赵", "上报 6栋 楼道堆物")
    assert to(said, "陈刚") and to(said, "王辉") == []
    assert "已把王辉加入第二网格" in (await b.dm("朱东", "加入网格 王辉 第二网格"))[0].text
    said = await a.say("小赵", "上报 7栋 楼道堆物")
    assert to(said, "陈刚") and to(said, "王辉")
    assert "接单" in (await a.dm("王辉", "帮助"))[0].text  # his new role, on the other worker
    await b.dm("朱东", "划转楼栋 8栋 第一网格")
    said = await a.say("小赵", "上报 8栋 楼道堆物")
    assert to(said, "李娜") and to(said, "陈刚") == [] and to(said, "王辉") == []


async def test_a_stranger_registered_by_another_worker_is_known(
    workers: tuple[Bot, Bot],
) -> None:
    a, b = workers
    await a.say("小赵", "上报 6栋 楼道堆物")  # a's copy is loaded
    await b.say("新来的", "上报 6栋 楼道漏水")  # registers 新来的 in b
    async with a.db.unit_of_work() as uow:
        found = await uow.people.by_account(platform="console", native_id="新来的")
        assert found is not None and found.name == "新来的"
        assert await uow.people.find_by_name(name="新来的") == found
        assert await uow.people.get(person_id=found.id) == found
        assert [x.native_id for x in await uow.people.accounts_of(person_id=found.id)] == ["新来的"]


class Boom(Exception):
    pass


async def test_a_rolled_back_change_is_not_seen(workers: tuple[Bot, Bot]) -> None:
    a, b = workers
    await a.say("小赵", "上报 6栋 楼道堆物")
    wang = await person_id(b.db, "王辉")
    with pytest.raises(Boom):
        async with b.db.unit_of_work() as uow:
            grid = await uow.people.grid_named(name="第二网格")
            assert grid is not None
            assert await uow.people.add_worker(grid_id=grid.id, person_id=wang)
            assert await uow.people.add_role(person_id=wang, role="grid_worker")
            # the transaction sees its own change
            assert wang in [p.id for p in await uow.people.workers_of_grid(grid_id=grid.id)]
            assert "grid_worker" in (await uow.people.get(person_id=wang)).roles
            raise Boom
    # neither the other worker nor the one that rolled back
    for worker, building in ((a, "7栋"), (b, "8栋")):
        said = await worker.say("小赵", f"上报 {building} 楼道堆物")
        assert to(said, "陈刚") and to(said, "王辉") == []
        async with worker.db.unit_of_work() as uow:
            assert "grid_worker" not in (await uow.people.get(person_id=wang)).roles


async def test_a_warm_unit_of_work_reads_the_directory_with_one_statement(bot: Bot) -> None:
    await bot.say("王辉", "上报 6栋 楼道堆物")
    selects: list[str] = []

    def seen(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    sa.event.listen(bot.db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with bot.db.unit_of_work() as uow:
            sender = await uow.people.by_account(platform="console", native_id="王辉")
            grid = await uow.people.grid_of_building(name="6栋")
            assert sender is not None and grid is not None
            assert await uow.people.grid_of_building(name="6栋") == grid
            workers = await uow.people.workers_of_grid(grid_id=grid.id)
            assert [w.name for w in workers] == ["陈刚"]
            assert await uow.people.accounts_of(person_id=workers[0].id)
            assert await uow.people.with_role(role="admin")
    finally:
        sa.event.remove(bot.db.engine.sync_engine, "before_cursor_execute", seen)
    assert len(selects) == 1 and "meta" in selects[0]


class Statements:
    """The statements a database runs while the block is open (`with Statements(db) as s`)."""

    def __init__(self, db: Database) -> None:
        self._engine = db.engine.sync_engine
        self.seen: list[str] = []

    def _record(self, _c: Any, _cur: Any, statement: str, *_: Any) -> None:
        self.seen.append(" ".join(statement.split()))

    def __enter__(self) -> Statements:
        sa.event.listen(self._engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        sa.event.remove(self._engine, "before_cursor_execute", self._record)

    def on(self, *tables: str) -> list[str]:
        """The SELECTs that read any of `tables`."""
        return [
            s
            for s in self.seen
            if s.startswith("SELECT") and any(f"FROM {t}" in s or f"JOIN {t}" in s for t in tables)
        ]


async def test_a_strangers_first_report_is_routed_from_the_copy(bot: Bot) -> None:
    """Registering a stranger changes nothing anyone's copy holds: the report they file is
    routed (building, grid, its workers, their leave and accounts) without asking the
    database, and rendered (the reporter, the report's trail and followers) from what was
    just written."""
    await bot.say("王辉", "上报 6栋 楼道堆物")  # the copy is loaded
    with Statements(bot.db) as statements:
        handled = await bot.app.handle(incoming("新来的", "上报 6栋 楼道漏水", at=bot.clock.now()))
    assert handled
    directory = ("people", "accounts", "person_roles", "grids", "buildings", "grid_workers")
    # the one directory read: whether the stranger has an account (they did not)
    assert len(statements.on(*directory, "leaves")) == 1, statements.on(*directory, "leaves")
    assert statements.on("report_events", "report_followers") == []
    assert [s for s in statements.seen if s.startswith("SELECT reports")] == []  # no read-back
    said = await bot.flush()
    alert = to(said, "陈刚")
    assert alert and "新来的" in alert[0].text and "楼道漏水" in alert[0].text
    async with bot.db.unit_of_work() as uow:
        found = await uow.people.by_account(platform="console", native_id="新来的")
        assert found is not None and found.name == "新来的" and found.roles == {"resident"}
        assert await uow.people.get(person_id=found.id) == found
        report = await uow.reports.get(report_id=2)
        assert report.reporter_id == found.id and report.assignee_id is not None
        assert [e.kind for e in await uow.reports.events(report_id=2)] == ["filed"]


async def test_a_batch_that_rolls_back_leaves_no_stranger_in_the_copy(bot: Bot) -> None:
    """A stranger registered in a batch's first message is found by its second message (the
    same transaction) but kept in no copy until the batch commits: a batch the database
    refuses leaves no person who never was."""
    await bot.say("王辉", "上报 6栋 楼道堆物")  # the copy is loaded
    now = bot.clock.now()
    with pytest.raises(Boom):
        async with bot.db.batch():
            async with bot.db.unit_of_work() as uow:
                person = await uow.people.register(
                    platform="console", native_id="过客", display_name="过客", at=now
                )
                # known to this unit of work as written, with the copy still in use
                assert await uow.people.by_account(platform="console", native_id="过客") == person
                assert await uow.people.get(person_id=person.id) == person
                assert await uow.people.grid_of_building(name="6栋") is not None
            async with bot.db.unit_of_work() as uow:  # the batch's next message
                found = await uow.people.by_account(platform="console", native_id="过客")
                assert found == person
            raise Boom  # the database refuses: the batch is rolled back
    cached, stored = await views(bot.db)
    assert cached is not None
    assert person.id not in cached.persons and ("console", "过客") not in cached.by_account
    assert person.id not in stored.persons
    async with bot.db.unit_of_work() as uow:
        assert await uow.people.by_account(platform="console", native_id="过客") is None


async def test_a_batch_on_sqlite_reads_the_version_once(bot: Bot) -> None:
    """On SQLite a batch holds the file's write lock from its BEGIN IMMEDIATE: no one else can
    bump the version meanwhile, so its messages check it once between them."""
    if bot.db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL: another worker may commit a change between two messages")
    await bot.say("王辉", "上报 6栋 楼道堆物")
    with Statements(bot.db) as statements:
        await bot.app.handle_batch(
            [
                incoming(name, f"上报 {n}栋 楼道堆物", at=bot.clock.now())
                for n, name in ((6, "王辉"), (7, "小赵"), (8, "新来的"))
            ]
        )
    assert len(statements.on("meta")) == 1
    said = await bot.flush()
    assert [a.text.splitlines()[0] for a in to(said, "陈刚")] == [
        "【隐患上报 H2】",
        "【隐患上报 H3】",
    ]


# --- every write to the directory is seen by the other worker --------------------------------

Write = Callable[[UnitOfWork, dict[str, int]], Awaitable[object]]


async def nothing(uow: UnitOfWork, ids: dict[str, int]) -> None:
    return None


async def unreachable(uow: UnitOfWork, ids: dict[str, int]) -> None:
    await uow.people.mark_unreachable(
        platform="console", native_id="王辉", reason="blocked", at=uow_now()
    )


def uow_now() -> Any:
    from datetime import UTC, datetime

    return datetime(2026, 11, 26, 1, 0, tzinfo=UTC)


async def new_grid(uow: UnitOfWork, ids: dict[str, int]) -> None:
    await uow.people.set_grids(
        layout={
            "第一网格": (["1栋", "2栋", "3栋", "4栋"], [ids["李娜"]]),
            "第二网格": (["5栋", "6栋"], [ids["陈刚"]]),
            "第三网格": (["7栋", "8栋"], [ids["王辉"]]),
        }
    )


async def second_grid(uow: UnitOfWork) -> int:
    grid = await uow.people.grid_named(name="第二网格")
    assert grid is not None
    return grid.id


# (method, what makes it change something, the change)
WRITES: dict[str, tuple[Write, Write]] = {
    "mark_unreachable": (nothing, unreachable),
    "mark_reachable": (
        unreachable,
        lambda uow, ids: uow.people.mark_reachable(platform="console", native_id="王辉"),
    ),
    "set_address": (
        nothing,
        lambda uow, ids: uow.people.set_address(person_id=ids["王辉"], address="9栋1单元101"),
    ),
    "upsert_config_person": (
        nothing,
        lambda uow, ids: uow.people.upsert_config_person(
            name="王辉",
            address=None,
            phone="13800001111",
            elderly=True,
            lives_alone=False,
            roles=["volunteer"],
            accounts_=[("telegram", "42")],
            at=uow_now(),
        ),
    ),
    "set_grids": (nothing, new_grid),
    "add_buildings": (nothing, lambda uow, ids: uow.people.add_buildings(names=["9栋"])),
    "add_role": (
        nothing,
        lambda uow, ids: uow.people.add_role(person_id=ids["王辉"], role="admin"),
    ),
    "remove_role": (
        nothing,
        lambda uow, ids: uow.people.remove_role(person_id=ids["朱东"], role="admin"),
    ),
    "add_worker": (
        nothing,
        lambda uow, ids: uow.people.add_worker(grid_id=ids["第一网格"], person_id=ids["王辉"]),
    ),
    "remove_worker": (
        nothing,
        lambda uow, ids: uow.people.remove_worker(grid_id=ids["第二网格"], person_id=ids["陈刚"]),
    ),
    "move_building": (
        nothing,
        lambda uow, ids: uow.people.move_building(name="8栋", grid_id=ids["第一网格"]),
    ),
    "set_backup": (
        nothing,
        lambda uow, ids: uow.people.set_backup(grid_id=ids["第二网格"], person_id=ids["王辉"]),
    ),
    "set_leave": (
        nothing,
        lambda uow, ids: uow.people.set_leave(
            person_id=ids["陈刚"], until=date(2026, 12, 1), by=ids["朱东"], at=uow_now()
        ),
    ),
    "end_leave": (
        lambda uow, ids: uow.people.set_leave(
            person_id=ids["陈刚"], until=date(2026, 12, 1), by=ids["朱东"], at=uow_now()
        ),
        lambda uow, ids: uow.people.end_leave(person_id=ids["陈刚"]),
    ),
    "households.set_leader": (
        nothing,
        lambda uow, ids: uow.households.set_leader(person_id=ids["王辉"], leader_id=ids["陈刚"]),
    ),
    "privacy.forget": (
        nothing,
        lambda uow, ids: uow.privacy.forget(person_id=ids["王辉"], label="已删除的居民"),
    ),
}
# brand-new people are not in anyone's copy, and found by asking the database: no version bump
ADDS = {"register", "privacy.anonymous_person"}
# the rest of PeopleRepository writes nothing of the directory
NOT_DIRECTORY = {"record_change", "changes", "get_meta", "set_meta"}
READS = {
    "get",
    "find_by_name",
    "by_account",
    "accounts_of",
    "staff",
    "with_role",
    "building_exists",
    "grid_of_building",
    "workers_of_grid",
    "grid_named",
    "all_grids",
    "all_buildings",
    "buildings_of_grid",
    "away_until",
}


def test_every_method_of_the_people_repository_is_accounted_for() -> None:
    methods = {
        name
        for name, _ in inspect.getmembers(PeopleRepository, inspect.iscoroutinefunction)
        if not name.startswith("_")
    }
    writes = {w for w in WRITES | dict.fromkeys(ADDS) if "." not in w}
    assert methods == READS | writes | NOT_DIRECTORY


async def views(db: Database) -> tuple[Snapshot | None, Snapshot]:
    """A worker's copy of the directory as its next unit of work sees it, and the directory
    as it is in the database."""
    async with db.unit_of_work() as uow:
        cached = await DirectoryView(uow.conn).snapshot()
        version = await uow.people.get_meta(key=VERSION_KEY)
        assert version is not None
        return cached, await load(uow.conn, version)


@pytest.mark.parametrize("method", sorted(WRITES))
async def test_every_write_is_seen_by_the_other_worker(
    workers: tuple[Bot, Bot], method: str
) -> None:
    a, b = workers
    prepare, write = WRITES[method]
    ids = {name: await person_id(b.db, name) for name in ("王辉", "陈刚", "李娜", "朱东")}
    async with b.db.unit_of_work() as uow:
        for grid in await uow.people.all_grids():
            ids[grid.name] = grid.id
    async with b.db.unit_of_work() as uow:
        await prepare(uow, ids)
    before, fresh = await views(a.db)  # a's copy, loaded
    assert before == fresh
    async with b.db.unit_of_work() as uow:
        await write(uow, ids)
    after, fresh = await views(a.db)
    assert fresh != before, "the write changed nothing: the case tests nothing"
    assert after == fresh


def test_every_statement_on_a_directory_table_bumps_the_version() -> None:
    """Any function in storage/ that inserts, updates or deletes rows of a directory table
    says so to its unit of work's directory view (changed, or added for a new person)."""
    tables = {"people", "accounts", "person_roles", "grids", "grid_workers", "buildings", "leaves"}
    missed = []
    for path in sorted(Path(storage.__file__).parent.glob("*.py")):
        if path.name in ("directory.py", "schema.py"):
            continue
        tree = ast.parse(path.read_text())
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.AsyncFunctionDef | ast.FunctionDef):
                continue
            calls = [c for c in ast.walk(fn) if isinstance(c, ast.Call)]
            writes = any(
                isinstance(c.func, ast.Attribute)
                and c.func.attr in ("insert", "update", "delete")
                and isinstance(c.func.value, ast.Name)
                and c.func.value.id in tables
                for c in calls
            )
            says = any(
                isinstance(c.func, ast.Attribute)
                and c.func.attr in ("changed", "added")
                and isinstance(c.func.value, ast.Attribute)
                and c.func.value.attr == "_dir"
                for c in calls
            )
            if writes and not says:
                missed.append(f"{path.name}:{fn.name}")
    assert missed == []


async def test_leave_is_read_from_the_copy(bot: Bot) -> None:
    """away_until, answered from the copy, keeps the database's answer on either side of the
    last day away."""
    chen = await person_id(bot.db, "陈刚")
    zhu = await person_id(bot.db, "朱东")
    async with bot.db.unit_of_work() as uow:
        await uow.people.set_leave(person_id=chen, until=date(2026, 12, 1), by=zhu, at=uow_now())
    async with bot.db.unit_of_work() as uow:
        day = date(2026, 12, 1)
        assert await uow.people.away_until(person_id=chen, today=day) == day
        assert await uow.people.away_until(person_id=chen, today=day + timedelta(days=1)) is None
        assert await uow.people.away_until(person_id=zhu, today=day) is None
