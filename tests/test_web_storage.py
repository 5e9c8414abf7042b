"""The workbench's report list query: filters, the grid worker's scope, sorting and pages,
on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.workbench import ReportFilter
from tests.conftest import SHANGHAI
from tests.fakes import Bot

BOTH_BACKENDS = True


async def _numbers(bot: Bot, f: ReportFilter, **kw: object) -> list[str]:
    async with bot.db.unit_of_work() as uow:
        rows, total = await uow.workbench.list_reports(f, now=bot.clock.now(), **kw)  # type: ignore[arg-type]
        assert total == await uow.workbench.count_reports(f, now=bot.clock.now())
    if "offset" not in kw:
        assert total == len(rows)
    return [r.report.number for r in rows]


async def _person(bot: Bot, name: str) -> int:
    async with bot.db.unit_of_work() as uow:
        found = await uow.people.find_by_name(name=name)
    assert found is not None
    return found.id


async def test_filters_scope_sorting_and_pages(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 楼道飞线充电")  # H1, 第一网格
    await bot.say("赵敏", "上报 5栋 楼道堆满了纸箱 100%_")  # H2, 第二网格
    await bot.say("何伟", "上报 2栋 楼道冒烟了")  # H3, urgent, 第一网格
    bot.clock.advance(timedelta(minutes=10))  # H3's 5 minutes are past: overdue
    await bot.dm("李娜", "接单 H1")
    await bot.dm("陈刚", "办结 H2 已清理")
    await bot.flush()

    everything = ReportFilter()
    assert await _numbers(bot, everything) == ["H3", "H2", "H1"]
    assert await _numbers(bot, everything, descending=False) == ["H1", "H2", "H3"]
    assert await _numbers(bot, ReportFilter(status="active")) == ["H3", "H1"]
    assert await _numbers(bot, ReportFilter(status="resolved")) == ["H2"]
    assert await _numbers(bot, ReportFilter(overdue=True)) == ["H3"]
    assert await _numbers(bot, ReportFilter(urgent=True)) == ["H3"]
    assert await _numbers(bot, ReportFilter(building="5栋")) == ["H2"]
    assert await _numbers(bot, ReportFilter(category="飞线充电")) == ["H1"]
    assert await _numbers(bot, ReportFilter(text="100%_")) == ["H2"]
    assert await _numbers(bot, ReportFilter(text="%")) == ["H2"]  # a percent sign, no wildcard
    assert await _numbers(bot, ReportFilter(text="_")) == ["H2"]
    async with bot.db.unit_of_work() as uow:
        grids = {g.name: g.id for g in await uow.people.all_grids()}
    assert await _numbers(bot, ReportFilter(grid_id=grids["第一网格"])) == ["H3", "H1"]
    november = ReportFilter(
        start=datetime(2026, 11, 1, tzinfo=SHANGHAI), end=datetime(2026, 12, 1, tzinfo=SHANGHAI)
    )
    assert await _numbers(bot, november) == ["H3", "H2", "H1"]
    october = ReportFilter(
        start=datetime(2026, 10, 1, tzinfo=SHANGHAI), end=datetime(2026, 11, 1, tzinfo=SHANGHAI)
    )
    assert await _numbers(bot, october) == []
    # a grid worker sees their grid's buildings, and what is assigned to them
    assert await _numbers(bot, ReportFilter(scope_person=await _person(bot, "李娜"))) == [
        "H3",
        "H1",
    ]
    assert await _numbers(bot, ReportFilter(scope_person=await _person(bot, "陈刚"))) == ["H2"]
    assert await _numbers(bot, ReportFilter(scope_person=await _person(bot, "刘师傅"))) == []
    # other orders, and pages
    assert await _numbers(bot, everything, sort="building", descending=False) == [
        "H3",
        "H1",
        "H2",
    ]
    assert await _numbers(bot, everything, sort="status", descending=False) == [
        "H1",
        "H3",
        "H2",
    ]
    assert await _numbers(bot, everything, offset=1, limit=1) == ["H2"]
    assert await _numbers(bot, everything, offset=5, limit=1) == []


async def test_open_reports_by_building(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    await bot.say("赵敏", "上报 3栋 楼道堆满了纸箱")
    await bot.say("何伟", "上报 5栋 楼道冒烟了")
    await bot.flush()
    lina = await _person(bot, "李娜")
    async with bot.db.unit_of_work() as uow:
        loads = await uow.workbench.open_by_building(now=bot.clock.now(), scope_person=None)
        theirs = await uow.workbench.open_by_building(now=bot.clock.now(), scope_person=lina)
    assert {b: (v.open, v.urgent) for b, v in loads.items()} == {"3栋": (2, 0), "5栋": (1, 1)}
    assert set(theirs) == {"3栋"}
