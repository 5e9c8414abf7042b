"""One grammar of days, times and schedules: one weekday convention, one year rule."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.when import (
    ScheduleError,
    bare_date,
    cron_trigger,
    next_fire,
    parse_clock,
    parse_day,
    parse_schedule,
)
from tests.fakes import Bot

SHANGHAI = ZoneInfo("Asia/Shanghai")
THURSDAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)


def test_a_bare_date_is_this_years_unless_long_past() -> None:
    """On 2026-11-26, 11月20日 is 2026-11-20 for every feature (a notice once read it as
    2027-11-20); 1月3日 written in December is next year's."""
    assert bare_date(11, 20, THURSDAY) == date(2026, 11, 20)
    assert parse_day("11月20日", THURSDAY) == (date(2026, 11, 20), 6)
    with pytest.raises(ScheduleError, match="2026-11-20 20:00 已经过去了"):
        parse_schedule("11月20日 20:00 内容", now=NOW, tz=SHANGHAI)
    with pytest.raises(ScheduleError, match="已经过去了"):  # today, earlier: not next year
        parse_schedule("11月26日 08:00 内容", now=NOW, tz=SHANGHAI)
    assert parse_day("1月3日", date(2026, 12, 30)) == (date(2027, 1, 3), 4)
    december = datetime(2026, 12, 30, tzinfo=SHANGHAI)
    once, rest = parse_schedule("1月3日 10:00 新年好", now=december, tz=SHANGHAI)
    assert once.run_at == datetime(2027, 1, 3, 10, 0, tzinfo=SHANGHAI) and rest == " 新年好"
    assert bare_date(5, 20, THURSDAY) == date(2027, 5, 20)  # 190 days past
    assert bare_date(6, 1, THURSDAY) == date(2026, 6, 1)  # 178 days past: past, and said so
    past, _ = parse_schedule("11月20日 20:00", now=NOW, tz=SHANGHAI, past=True)
    assert past.label == "2026-11-20 20:00"  # a notice of the config that already ran


def test_one_weekday_convention_and_cron_lines_as_stored() -> None:
    """Monday = 0 everywhere; cron lines stay standard (0 = Sunday), as notices store them."""
    assert parse_day("周日", THURSDAY) == (date(2026, 11, 29), 2)
    assert parse_day("下周一", THURSDAY) == (date(2026, 11, 30), 3)
    for text, label, cron in (
        ("每周五 19:00", "每周五 19:00", "0 19 * * 5"),
        ("每周日 08:30", "每周日 08:30", "30 8 * * 0"),
        ("每周一三五 19:00", "每周一、三、五 19:00", "0 19 * * 1,3,5"),
        ("每周六日 10:00", "每周日、六 10:00", "0 10 * * 0,6"),
        ("weekly sun,mon 07:00", "每周日、一 07:00", "0 7 * * 0,1"),
        ("工作日 09:00", "工作日 09:00", "0 9 * * 1-5"),
    ):
        schedule, _ = parse_schedule(text, now=NOW, tz=SHANGHAI)
        assert (schedule.label, schedule.cron) == (label, cron), text
    friday, _ = parse_schedule("每周五 19:00", now=NOW, tz=SHANGHAI)
    assert next_fire(friday, after=None, now=NOW, tz=SHANGHAI) == datetime(
        2026, 11, 27, 19, 0, tzinfo=SHANGHAI
    )
    sunday = cron_trigger("0 8 * * 7", SHANGHAI)  # 7 is Sunday too
    assert sunday.get_next_fire_time(None, NOW) == datetime(2026, 11, 29, 8, 0, tzinfo=SHANGHAI)


def test_times_of_day() -> None:
    assert parse_clock("19:00 活动室") == (19, 0, 5)
    assert parse_clock("晚上7点半") == (19, 30, 5)
    assert parse_clock("下午3点") == (15, 0, 4)
    assert parse_clock("活动室") is None
    with pytest.raises(ScheduleError, match="0:00–23:59"):
        parse_clock("25:00")


async def test_every_feature_reads_a_past_bare_date_as_past(bot: Bot) -> None:
    """2026-11-26: 11月20日 is six days ago to meals, events and notices alike."""
    assert "已经过去了" in (await bot.dm("王辉", "报餐 11月20日 午餐"))[0].text
    assert "已经过去了" in (await bot.dm("朱东", "发起活动 议事会 11月20日 19:00 活动室"))[0].text
    answer = (await bot.dm("朱东", "通知 11月20日 20:00 内容"))[0].text
    assert "2026-11-20 20:00 已经过去了" in answer
    assert "12月20日 20:00" in (await bot.dm("朱东", "通知 12月20日 20:00 年终聚餐"))[0].text
