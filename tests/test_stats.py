"""三率 on a constructed month whose right values are known by hand."""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from wcwidth import wcswidth

from bot.cli import format_figures
from bot.config import Config
from handlers.clock import ManualClock
from handlers.context import Context
from handlers.stats import (
    Month,
    as_dict,
    chart_figure,
    cjk_font,
    month_stats,
    parse_month,
    week_labels,
)
from storage import Database
from storage.stats import PeriodStats, Tally
from tests.conftest import SHANGHAI
from tests.fakes import EXAMPLE, ROOT, Bot, to

BOTH_BACKENDS = True  # this suite runs on SQLite and on PostgreSQL

NOVEMBER = Month(2026, 11)


@pytest.fixture
async def month(cfg: Config) -> AsyncIterator[Bot]:
    """November 2026 as it happened (times in Shanghai):

    H1 3栋 飞线充电  11-02 09:00, acknowledged 09:10, resolved 11:00, rated 满意
    H2 4栋 楼道堆物  11-02 09:00, escalated 09:30, resolved by 张正芳 10:00 (never acknowledged
                     before), 不满意 → reopened, resolved again 11:00, rated 基本满意
    H3 5栋 电梯故障  11-03 09:00, acknowledged 09:20, never resolved (reminded: overdue)
    H4 12栋 其他     11-10 09:00, never acknowledged (escalated to the branch)
    H5 3栋 楼道堆物  12-01 10:00: December, not counted
    meals: 11-03 lunch, 3 portions; event E1 on 11-20 with 2 places taken
    """
    clock = ManualClock(datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI))
    async with Database(cfg.storage.url) as db:
        bot = Bot(cfg, clock, db)
        await bot.app.start()
        await bot.say("王辉", "上报 3栋 楼道飞线充电")
        await bot.say("小赵", "上报 4栋 楼道堆物")
        await bot.dm("王辉", "报餐 明天 午餐 2份")
        await bot.dm("郭先德", "报餐 明天 午餐")
        await bot.dm("朱东", "发起活动 议事会 11月20日 19:00 活动室")
        await bot.say("王辉", "报名 E1 +1")
        await bot.tick(timedelta(minutes=10))
        await bot.dm("李娜", "接单 H1")
        await bot.tick(timedelta(minutes=50))  # 10:00; H2 escalated at 09:30
        await bot.dm("张正芳", "办结 H2 已清")
        await bot.dm("小赵", "不满意 还有纸箱")
        await bot.tick(timedelta(hours=1))  # 11:00
        await bot.dm("李娜", "办结 H1 已清理")
        await bot.dm("李娜", "办结 H2 纸箱已清")
        await bot.dm("王辉", "满意")
        await bot.dm("小赵", "基本满意")
        await bot.tick(timedelta(hours=22))  # 11-03 09:00
        await bot.say("郭先德", "上报 5栋 电梯故障")
        await bot.tick(timedelta(minutes=20))
        await bot.dm("陈刚", "接单 H3")
        await bot.tick(timedelta(days=7) - timedelta(minutes=20))  # 11-10 09:00
        await bot.say("王辉", "上报 12栋 路灯不亮")
        await bot.tick(timedelta(days=21, hours=1))  # 12-01 10:00
        await bot.say("王辉", "上报 3栋 楼道堆物")
        yield bot


async def figures(bot: Bot) -> dict[str, object]:
    async with bot.db.unit_of_work() as uow:
        ctx = Context(uow=uow, clock=bot.clock, settings=bot.app.settings)
        return as_dict(NOVEMBER, await month_stats(ctx, NOVEMBER))


async def test_each_rate_as_computed_by_hand(month: Bot) -> None:
    f = await figures(month)
    total = f["total"]
    assert total == {
        "received": 4,
        "resolved": 2,
        "acknowledged_in_time": 2,
        "overdue": 3,
        "rated": 2,
        "satisfied": 2,
        "response": 0.5,
        "resolution": 0.5,
        "satisfaction": 1.0,
    }
    assert f["median_ack_minutes"] == 20  # H1 10, H3 20, H2 60
    assert f["median_resolve_minutes"] == 120  # H1 and H2 both 120
    cats = f["by_category"]
    assert {k: (v["received"], v["resolved"]) for k, v in cats.items()} == {  # type: ignore[attr-defined]
        "飞线充电": (1, 1),
        "楼道堆物": (1, 1),
        "电梯故障": (1, 0),
        "其他": (1, 0),
    }
    grids = f["by_grid"]
    assert {k: (v["received"], v["resolved"], v["response"]) for k, v in grids.items()} == {  # type: ignore[attr-defined]
        "第一网格": (2, 2, 0.5),
        "第二网格": (1, 0, 1.0),
        "未知楼栋": (1, 0, 0.0),
    }
    assert f["meals_by_day"] == {"2026-11-03": 3}
    assert f["events"] == [{"number": "E1", "title": "议事会", "places": 2}]


async def test_an_empty_month_is_zeros_not_an_error(month: Bot) -> None:
    async with month.db.unit_of_work() as uow:
        ctx = Context(uow=uow, clock=month.clock, settings=month.app.settings)
        f = as_dict(Month(2026, 6), await month_stats(ctx, Month(2026, 6)))
    assert f["total"]["received"] == 0 and f["total"]["response"] is None
    said = await month.dm("朱东", "统计 2026-06")
    assert "受理0件" in said[0].text and "响应率 —" in said[0].text


async def test_stats_in_chat_with_a_chart(month: Bot) -> None:
    said = await month.dm("朱东", "统计 11月")
    assert "受理4件，办结2件，超时3件" in said[0].text
    assert "响应率 50.0%｜解决率 50.0%｜满意率 100.0%" in said[0].text
    assert "接单用时中位数 20分钟，办结用时中位数 2.0小时" in said[0].text
    chart = Path(month.adapter.sent[-1].document or "")
    data = chart.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    from matplotlib.image import imread

    assert imread(chart).shape[:2] == (450, 800)
    assert "只有" in (await month.dm("王辉", "统计"))[0].text
    assert "「统计」请私聊我发送" in (await month.say("朱东", "统计"))[0].text  # private only
    assert await month.say("朱东", "统计一下明天谁来") == []  # chatter


async def test_the_monthly_report_goes_to_the_branch_on_the_first(cfg: Config) -> None:
    clock = ManualClock(datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI))
    async with Database(cfg.storage.url) as db:
        bot = Bot(cfg, clock, db)
        await bot.app.start()
        await bot.say("王辉", "上报 3栋 楼道飞线充电")
        said = await bot.tick(timedelta(hours=23, minutes=59))  # 12-01 08:59
        assert not [s for s in to(said, "朱东") if "月度报告" in s.text]
        said = await bot.tick(timedelta(minutes=1))
        [report] = [s for s in to(said, "朱东") if "月度报告" in s.text]
        assert "2026-11" in report.text and "受理1件" in report.text
        last = [d for d in bot.adapter.sent if d.chat_id == "朱东"][-1]  # chats finish in any order
        assert last.document and last.document.endswith(".png")
        assert not [s for s in await bot.tick(timedelta(days=2)) if "月度报告" in s.text]


async def cli(*args: str) -> str:
    run = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        "--config",
        str(EXAMPLE),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await run.communicate()
    assert run.returncode == 0
    return out.decode()


async def test_cli_and_xlsx_agree(month: Bot, tmp_path: Path) -> None:
    db = month.cfg.storage.url
    figures_json = json.loads(
        await cli("stats", "--month", "2026-11", "--format", "json", "--db", db)
    )
    coverage = figures_json.pop("visit_coverage")
    assert figures_json == await figures(month)
    table = await cli("stats", "--month", "2026-11", "--db", db)
    assert table == format_figures({**figures_json, "visit_coverage": coverage}, "table")
    assert table.splitlines()[2].split()[:4] == ["total", "4", "2", "3"]
    out = tmp_path / "r.xlsx"
    await cli("export", "reports", "--month", "2026-11", "--out", str(out), "--db", db)
    rows = list(load_workbook(out).active.iter_rows(values_only=True))[1:]
    assert [r[0] for r in rows] == ["H1", "H2", "H3", "H4"]
    assert Counter(r[5] for r in rows) == Counter(
        {k: v["received"] for k, v in figures_json["by_category"].items()}
    )
    assert sum(r[8] == "已办结" for r in rows) == figures_json["total"]["resolved"]
    assert "退回重办（小赵）：还有纸箱" in rows[1][15]


async def test_cli_stats_say_what_chat_says_in_aligned_columns(month: Bot) -> None:
    table = await cli("stats", "--month", "2026-11", "--db", month.cfg.storage.url)
    chat = (await month.dm("朱东", "统计 11月"))[0].text.splitlines()
    for line in chat:  # the medians, meals, events and visit coverage, word for word
        if line.startswith(("接单用时中位数", "助餐", "活动", "本周重点户", "· 孙阿姨")):
            assert line in table.splitlines(), line
    assert "响应率 50.0%" in chat[2] and "50.0%" in table.splitlines()[2]
    rows = table.splitlines()[1:6]
    # the last column starts at the same terminal column on every row, Chinese names or not
    starts = {wcswidth(r) - wcswidth(r.split()[-1]) for r in rows}
    assert len(starts) == 1 and any("电梯故障" in r for r in rows), rows


def test_the_chart_counts_whole_reports_in_weeks_named_by_their_dates() -> None:
    from matplotlib import pyplot as plt

    one = PeriodStats(total=Tally(received=1), by_week_category={(0, "飞线充电"): 1})
    fig = chart_figure(NOVEMBER, one)
    ax = fig.axes[0]
    ticks = ax.get_yticks()
    assert all(t == int(t) for t in ticks)  # never half a report
    assert [t.get_text() for t in ax.get_xticklabels()] == week_labels(NOVEMBER)
    assert week_labels(NOVEMBER)[-1] == "11/29–11/30" and len(week_labels(Month(2026, 2))) == 4
    if cjk_font() is not None:  # with a Chinese font (found when drawing): Chinese labels
        box = ax.get_legend()
        assert box is not None and "隐患上报" in ax.get_title()
        assert box.get_texts()[0].get_text() == "飞线充电"
    plt.close(fig)


def test_parse_month() -> None:
    today = datetime(2026, 11, 26).date()
    assert parse_month("", today) == NOVEMBER
    assert parse_month("上月", today) == Month(2026, 10)
    assert parse_month("2026-02", today) == Month(2026, 2)
    assert parse_month("12月", today) == Month(2025, 12)
    assert Month(2026, 12).next == Month(2027, 1)
