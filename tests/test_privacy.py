"""Residents' personal data: seen, deleted (absent from every table, counts unchanged),
and closed reports anonymised after the retention period; never in the logs."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bot.cli import quiet_drivers
from handlers.context import Context
from handlers.stats import Month, as_dict, month_stats
from storage.directory import bump
from storage.schema import metadata
from tests.fakes import Bot, to

BOTH_BACKENDS = True  # this suite runs on SQLite and on PostgreSQL

# the flat 3栋2单元501 stays in the community's register of households; the person goes
TRACES = ("王辉", "13800001111")


async def figures(bot: Bot) -> dict[str, object]:
    async with bot.db.unit_of_work() as uow:
        ctx = Context(uow=uow, clock=bot.clock, settings=bot.app.settings)
        return as_dict(Month(2026, 11), await month_stats(ctx, Month(2026, 11)))


async def everywhere(bot: Bot) -> list[str]:
    """Every text value in every table of the database."""
    found = []
    async with bot.db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, (sa.String, sa.Text))]
            if not columns:
                continue
            for row in await conn.execute(sa.select(*columns)):
                found += [str(v) for v in row if v is not None]
    return found


async def scenario(bot: Bot) -> None:
    async with bot.db.unit_of_work() as uow:
        person = await uow.people.find_by_name(name="王辉")
        assert person is not None
        await uow.conn.execute(
            sa.text("UPDATE people SET phone = '13800001111' WHERE id = :i"), {"i": person.id}
        )
        await bump(uow.conn)  # as every change to the directory does
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    await bot.dm("李娜", "接单 H1")
    await bot.dm("李娜", "办结 H1 已清理")
    await bot.dm("王辉", "满意")
    await bot.dm("王辉", "报餐 明天 少盐")


async def test_a_resident_sees_what_is_kept(bot: Bot) -> None:
    await scenario(bot)
    text = (await bot.dm("王辉", "我的信息"))[0].text
    assert "住址：3栋2单元501" in text and "电话：13800001111" in text
    assert "上报1件，报餐1次" in text and "删除我的信息 确认" in text
    said = await bot.say("王辉", "我的信息")  # not in a group
    assert "「我的信息」请私聊我发送" in said[0].text and "13800001111" not in said[0].text


async def test_deletion_leaves_no_trace_and_the_counts_unchanged(bot: Bot) -> None:
    await scenario(bot)
    before = await figures(bot)
    assert "确定要删除" in (await bot.dm("王辉", "删除我的信息"))[0].text
    assert any("王辉" in v for v in await everywhere(bot))
    said = await bot.dm("王辉", "删除我的信息 确认")
    assert "已删除您的个人信息" in said[0].text
    await bot.tick(timedelta(days=8))  # the last answer leaves the outbox's history too
    left = await everywhere(bot)
    for trace in TRACES:
        assert not [v for v in left if trace in v], trace
    assert await figures(bot) == before
    async with bot.db.unit_of_work() as uow:
        shell = await uow.people.get(person_id=1)
        assert shell.address is None and shell.phone is None and shell.roles == {"resident"}
        assert await uow.people.accounts_of(person_id=1) == []
    assert "只有" not in (await bot.dm("王辉", "我的"))[0].text  # a new, empty resident now
    assert "工作人员的信息" in (await bot.dm("李娜", "删除我的信息 确认"))[0].text


async def test_closed_reports_lose_their_reporter_after_the_retention_period(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    await bot.dm("李娜", "办结 H1 已清理")
    await bot.tick(timedelta(days=364))
    async with bot.db.unit_of_work() as uow:
        reporter = await uow.people.get(person_id=(await uow.reports.get(report_id=1)).reporter_id)
    assert reporter.name == "王辉"
    await bot.tick(timedelta(days=2))
    async with bot.db.unit_of_work() as uow:
        reporter = await uow.people.get(person_id=(await uow.reports.get(report_id=1)).reporter_id)
    assert reporter.name == "匿名居民"


async def test_addresses_and_phones_never_reach_the_logs(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    quiet_drivers(logging.DEBUG)  # as `linli … -v` sets up logging
    caplog.set_level(logging.DEBUG)
    await scenario(bot)
    await bot.say("郭先德", "上报 12栋 楼道堆物")
    await bot.tick(timedelta(hours=2))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged  # there was logging to look at
    for trace in ("3栋2单元501", "5栋1单元102", "13800001111"):
        assert trace not in logged
    assert to(await bot.dm("王辉", "我的"), "王辉")
