"""Operations: /healthz and /metrics, backup and data migration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from bot.ops import OpsServer
from storage import Database
from storage.schema import outbox
from tests.fakes import Bot


@pytest.fixture
async def ops(bot: Bot) -> AsyncIterator[str]:
    async with OpsServer(bot.db, bot.app.metrics, {"console": bot.adapter}, port=0) as server:
        yield f"http://127.0.0.1:{server.port}"


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as r:
        return r.status, await r.text()


async def test_metrics_are_parsed_by_the_prometheus_parser(bot: Bot, ops: str) -> None:
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    await bot.tick(timedelta(minutes=31))
    status, body = await get(f"{ops}/metrics")
    assert status == 200
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }
    assert (
        samples[("linli_messages_handled_total", (("command", "report"), ("platform", "console")))]
        == 1
    )
    assert samples[("linli_sends_total", (("platform", "console"), ("result", "ok")))] >= 4
    assert samples[("linli_due_work_total", (("job", "report_due"),))] == 1
    assert samples[("linli_outbox_pending", ())] == 0
    assert ("linli_handler_seconds_count", ()) in samples
    assert ("linli_scheduler_lag_seconds", ()) in samples


async def test_health_reports_a_stuck_outbox(bot: Bot, ops: str) -> None:
    status, body = await get(f"{ops}/healthz")
    assert status == 200 and '"database": "ok"' in body and '"console": "ok"' in body
    old = datetime.now(UTC) - timedelta(minutes=30)
    async with bot.db.unit_of_work() as uow:
        await uow.outbox.enqueue(
            platform="console",
            chat_id="x",
            is_group=False,
            text="stuck",
            buttons=[],
            photo=None,
            mention=None,
            person_id=None,
            at=old,
        )
        await uow.conn.execute(
            sa.update(outbox).values(not_before=datetime.now(UTC) + timedelta(days=1))
        )
    status, body = await get(f"{ops}/healthz")
    assert status == 503 and '"stuck": true' in body


async def table_rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    from storage import Database
    from storage.schema import metadata

    found = {}
    async with Database(url) as db, db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = await conn.execute(sa.select(table).order_by(*table.primary_key.columns))
            found[table.name] = [tuple(r) for r in rows]
    return found


async def busy_month(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    await bot.dm("李娜", "接单 H1")
    await bot.dm("李娜", "办结 H1 已清理")
    await bot.dm("王辉", "满意")
    await bot.dm("张正芳", "报餐 明天 代 郭先德 送餐 软食")
    await bot.dm("朱东", "发起活动 议事会 12月5日 19:00 活动室 限3人")
    await bot.say("王辉", "报名 E1 +1")
    await bot.dm("朱东", "通知 每天 08:00 消防轮播")
    await bot.dm("朱东", "发起表决 3栋 12月10日 18:00 重大 加装电梯")
    await bot.dm("王辉", "表决 P1 同意")
    await bot.dm("孙阿姨", "走访 5栋1单元102 好")
    await bot.tick(timedelta(days=1))


async def test_backup_is_a_consistent_copy_of_a_live_database(bot: Bot, tmp_path: object) -> None:
    from pathlib import Path

    from storage.maintenance import backup_sqlite

    await busy_month(bot)
    copy = Path(str(tmp_path)) / "backup.db"
    async with bot.db.engine.connect() as live:  # another reader holds the database open
        await live.execute(sa.text("SELECT 1"))
        await backup_sqlite(bot.cfg.storage.url, copy)
    assert await table_rows(f"sqlite:///{copy}") == await table_rows(bot.cfg.storage.url)


async def test_migrate_data_to_postgresql_keeps_every_row(bot: Bot, postgres_url: str) -> None:
    from storage.maintenance import migrate_data

    await busy_month(bot)
    await bot.db.close()
    target = postgres_url
    copied = await migrate_data(bot.cfg.storage.url, target)
    assert copied["reports"] == 1 and copied["meal_signups"] == 1 and copied["votes"] == 1
    before, after = await table_rows(bot.cfg.storage.url), await table_rows(target)
    assert before.keys() == after.keys()
    for table in before:
        assert before[table] == after[table], table
    async with Database(target) as db:  # and the bot goes on there: the next report is H2
        moved = Bot(
            bot.cfg.model_copy(
                update={"storage": bot.cfg.storage.model_copy(update={"url": target})}
            ),
            bot.clock,
            db,
        )
        await moved.app.start()
        said = await moved.say("王辉", "上报 4栋 楼道堆物")
        assert "H2" in said[-1].text


async def test_health_reports_a_platform_that_is_down(bot: Bot) -> None:
    class Down:
        healthy = False  # e.g. the WeChat gateway lost, or Telegram's updater stopped

    adapters = {"console": bot.adapter, "wechat": Down()}
    async with OpsServer(bot.db, bot.app.metrics, adapters, port=0) as server:
        status, body = await get(f"http://127.0.0.1:{server.port}/healthz")
    assert status == 503 and '"wechat": "down"' in body and '"console": "ok"' in body
