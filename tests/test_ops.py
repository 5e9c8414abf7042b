"""Operations: /healthz and /metrics, backup and data migration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from bot.ops import OpsServer
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
