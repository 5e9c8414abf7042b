"""Several communities in one deployment: isolated, and counted together for the subdistrict."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import tomli_w

from handlers.clock import ManualClock
from storage import Database
from tests.fakes import ROOT, Bot, config_from, example_raw, to


async def test_two_communities_are_isolated_and_add_up(tmp_path: Path, clock: ManualClock) -> None:
    raw_a = example_raw()
    raw_b = example_raw()
    raw_b["community"]["name"] = "梧桐小区"
    cfg_a = config_from(raw_a, tmp_path / "a.db")
    cfg_b = config_from(raw_b, tmp_path / "b.db")
    async with Database(cfg_a.storage.url) as db_a, Database(cfg_b.storage.url) as db_b:
        a, b = Bot(cfg_a, clock, db_a), Bot(cfg_b, clock, db_b)
        await a.app.start()
        await b.app.start()
        said = await a.say("王辉", "上报 3栋 楼道飞线充电")
        assert to(said, "李娜")
        await a.say("王辉", "上报 4栋 楼道堆物")
        await b.say("王辉", "上报 3栋 电梯故障")
        # the same names in both: each community's worker sees only its own reports
        assert "H2" in (await a.dm("李娜", "工单"))[0].text
        tickets_b = (await b.dm("李娜", "工单"))[0].text
        assert "电梯故障" in tickets_b and "飞线" not in tickets_b and "H2" not in tickets_b
        assert "没有找到工单 H2" in (await b.dm("李娜", "接单 H2"))[0].text
    for raw, name in ((raw_a, "a"), (raw_b, "b")):
        raw["storage"] = {"url": f"sqlite:///{tmp_path / f'{name}.db'}"}
        (tmp_path / f"{name}.toml").write_text(tomli_w.dumps(raw), encoding="utf-8")
    run = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "stats",
        "--month",
        "2026-11",
        "--format",
        "json",
        "--config",
        str(tmp_path / "a.toml"),
        "--config",
        str(tmp_path / "b.toml"),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await run.communicate()
    assert run.returncode == 0
    chunks = out.decode().split("# ")[1:]
    names = [c.split("\n", 1)[0] for c in chunks]
    assert names == ["香樟雅苑", "梧桐小区", "合计 / all communities"]
    totals = [json.loads(c.split("\n", 1)[1])["total"]["received"] for c in chunks]
    assert totals == [2, 1, 3]
