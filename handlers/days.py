"""Days as residents write them: 今天, 明天, 周三, 下周一, 12月3日, 2026-12-03."""

from __future__ import annotations

import re
from datetime import date, timedelta

WEEKDAY_WORDS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
WEEKDAY_SHORT = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")

DAY = re.compile(
    r"^(?:(?P<rel>今天|今日|明天|明日|后天|大后天|昨天|前天)"
    r"|(?P<next>下{1,2})?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天])"
    r"|(?:(?P<y>\d{4})[-/.年])?(?P<mo>\d{1,2})(?:月|[-/.])(?P<d>\d{1,2})[日号]?)"
)
_RELATIVE = {
    "今天": 0,
    "今日": 0,
    "明天": 1,
    "明日": 1,
    "后天": 2,
    "大后天": 3,
    "昨天": -1,
    "前天": -2,
}


class DayError(ValueError):
    """The day written does not exist."""


def parse_day(text: str, today: date) -> tuple[date, int] | None:
    """The day at the start of text and how many characters it took, or None.

    A weekday means the next such day (today included); 下周三 the one in the next week,
    下下周三 the week after;
    a month and day without a year the next such date (today included)."""
    m = DAY.match(text)
    if m is None:
        return None
    if m.group("rel"):
        return today + timedelta(days=_RELATIVE[m.group("rel")]), m.end()
    if m.group("wd"):
        target = WEEKDAY_WORDS[m.group("wd")]
        if m.group("next"):
            weeks = len(m.group("next"))  # 下周三, 下下周三
            monday = today + timedelta(days=7 * weeks - today.weekday())
            return monday + timedelta(days=target), m.end()
        return today + timedelta(days=(target - today.weekday()) % 7), m.end()
    year = int(m.group("y")) if m.group("y") else today.year
    try:
        day = date(year, int(m.group("mo")), int(m.group("d")))
    except ValueError:
        raise DayError(f"没有「{m.group(0)}」这一天") from None
    if not m.group("y") and day < today - timedelta(days=180):
        day = day.replace(year=year + 1)  # 1月3日 written in December
    return day, m.end()


def day_label(day: date, today: date) -> str:
    """11月27日（周五）, with 今天/明天 where it helps."""
    near = {0: "今天", 1: "明天", 2: "后天"}.get((day - today).days)
    base = f"{day.month}月{day.day}日（{WEEKDAY_SHORT[day.weekday()]}）"
    return f"{near} {base}" if near else base
