"""Schedules as admins write them (每周五 19:00, 2027-02-08 10:00, cron …), and their fire times.

Fire times come from APScheduler's triggers: a pure function of the previous time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from apscheduler.triggers.cron import CronTrigger

WEEKDAYS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 0, "天": 0, "七": 0}
_DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_TIME = r"(?P<h>\d{1,2})\s*(?:[:：](?P<m>\d{2})|点(?P<half>半)?(?:(?P<m2>\d{1,2})分?)?)"


class ScheduleError(ValueError):
    """The schedule cannot be used; the message says why, in Chinese."""


@dataclass(frozen=True)
class Schedule:
    label: str  # as shown back to the admin
    cron: str | None  # standard 5-field cron (0 = Sunday), for a repeating notice
    run_at: datetime | None  # for a one-off


def _expand(field: str, low: int, high: int) -> list[int]:
    values: set[int] = set()
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, step_s = part.split("/", 1)
            step = int(step_s)
        if part == "*":
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = int(a), int(b)
        else:
            start = end = int(part)
        if not (low <= start <= high and low <= end <= high) or step < 1:
            raise ScheduleError(f"cron 的星期字段「{field}」超出范围（0–7，0 和 7 都是星期日）")
        values.update(range(start, end + 1, step))
    return sorted(values)


_CRON_FIELDS = (("分", 0, 59), ("时", 0, 23), ("日", 1, 31), ("月", 1, 12), ("星期", 0, 7))
_CRON_ORDER = {"minute": 0, "hour": 1, "day": 2, "month": 3, "day_of_week": 4}


def cron_trigger(cron: str, tz: tzinfo) -> CronTrigger:
    """An APScheduler trigger for a standard cron line (APScheduler 3 counts weekdays from
    Monday = 0, standard cron from Sunday = 0: numbers are turned into names)."""
    fields = cron.split()
    if len(fields) != 5:
        raise ScheduleError("cron 需要5段：分 时 日 月 星期，例如 cron 0 19 * * 5")
    minute, hour, day, month, dow = fields
    if dow != "*" and re.fullmatch(r"[\d,\-/*]+", dow):
        try:
            days = _expand(dow, 0, 7)
        except ValueError as exc:
            raise ScheduleError(str(exc)) from None
        dow = ",".join(_DOW_NAMES[d % 7] for d in sorted({d % 7 for d in days}))
    try:
        return CronTrigger(
            minute=minute, hour=hour, day=day, month=month, day_of_week=dow, timezone=tz
        )
    except ValueError:
        # APScheduler's reason is English: name the field and its range in Chinese instead
        for (word, low, high), attr, value in zip(
            _CRON_FIELDS,
            ("minute", "hour", "day", "month", "day_of_week"),
            (minute, hour, day, month, dow),
            strict=True,
        ):
            try:
                CronTrigger(**{attr: value}, timezone=tz)
            except ValueError:
                raise ScheduleError(
                    f"cron 的「{word}」字段「{fields[_CRON_ORDER[attr]]}」不对：应为 {low}–{high}"
                    "、* 或它们的列表/范围，例如 cron 0 19 * * 5"
                ) from None
        raise ScheduleError("cron 表达式有误，例如 cron 0 19 * * 5") from None


def next_fire(
    schedule: Schedule, *, after: datetime | None, now: datetime, tz: tzinfo
) -> datetime | None:
    """The first fire time strictly after `after` (or from `now` when None); None: no more."""
    if schedule.cron is None:
        if after is None and schedule.run_at is not None:
            return schedule.run_at
        return None
    trigger = cron_trigger(schedule.cron, tz)
    if after is None:
        return trigger.get_next_fire_time(None, now)
    return trigger.get_next_fire_time(after, after + timedelta(seconds=1))


def _clock(m: re.Match[str]) -> tuple[int, int]:
    hour = int(m.group("h"))
    minute = int(m.group("m") or m.group("m2") or (30 if m.group("half") else 0))
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ScheduleError(f"时间「{m.group(0)}」不对，请写 0:00–23:59")
    return hour, minute


_REPEAT = re.compile(
    rf"^(?:(?P<daily>每天|每日|daily)|(?P<workdays>工作日|每个工作日|weekdays)"
    rf"|(?:每周|每星期|weekly\s+)(?P<days>[一二三四五六日天七、,，和\s]+|[a-z,]+)"
    rf"|(?:每月|monthly\s+)(?P<dom>\d{{1,2}})\s*[日号]?)\s*{_TIME}"
)
_ONCE_ISO = re.compile(rf"^(?P<y>\d{{4}})[-/.](?P<mo>\d{{1,2}})[-/.](?P<d>\d{{1,2}})\s*{_TIME}")
_ONCE_CN = re.compile(rf"^(?:(?P<y>\d{{4}})年)?(?P<mo>\d{{1,2}})月(?P<d>\d{{1,2}})[日号]\s*{_TIME}")
_ONCE_REL = re.compile(rf"^(?P<rel>今天|明天|后天)\s*{_TIME}")
_CRON = re.compile(r"^cron\s+[\"']?(?P<expr>(?:\S+\s+){4}\S+?)[\"']?(?=\s|$)")
_EN_DAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}


def parse_schedule(text: str, *, now: datetime, tz: tzinfo) -> tuple[Schedule, str]:
    """The schedule at the start of text, and the rest; ScheduleError when there is none."""
    text = text.strip()
    local_now = now.astimezone(tz)
    if m := _CRON.match(text):
        expr = m.group("expr")
        cron_trigger(expr, tz)  # validate
        return Schedule(f"cron {expr}", expr, None), text[m.end() :]
    if m := _REPEAT.match(text):
        hour, minute = _clock(m)
        at = f"{hour:02d}:{minute:02d}"
        if m.group("daily"):
            return Schedule(f"每天 {at}", f"{minute} {hour} * * *", None), text[m.end() :]
        if m.group("workdays"):
            return Schedule(f"工作日 {at}", f"{minute} {hour} * * 1-5", None), text[m.end() :]
        if m.group("dom"):
            dom = int(m.group("dom"))
            if not 1 <= dom <= 31:
                raise ScheduleError("每月的日期要在1到31之间")
            return Schedule(f"每月{dom}日 {at}", f"{minute} {hour} {dom} * *", None), text[
                m.end() :
            ]
        raw = m.group("days").strip()
        days = sorted(
            {WEEKDAYS[c] for c in raw if c in WEEKDAYS}
            | {_EN_DAYS[d] for d in raw.split(",") if d in _EN_DAYS}
        )
        if not days:
            raise ScheduleError("请写明星期几，例如：每周五 19:00")
        names = "、".join("日一二三四五六"[d] for d in days)
        return (
            Schedule(f"每周{names} {at}", f"{minute} {hour} * * {','.join(map(str, days))}", None),
            text[m.end() :],
        )
    m = _ONCE_ISO.match(text) or _ONCE_CN.match(text) or _ONCE_REL.match(text)
    if m:
        hour, minute = _clock(m)
        if "rel" in m.groupdict() and m.group("rel"):
            day = local_now.date() + timedelta(days=("今天", "明天", "后天").index(m.group("rel")))
        else:
            year = int(m.group("y")) if m.group("y") else local_now.year
            try:
                day = date(year, int(m.group("mo")), int(m.group("d")))
            except ValueError:
                raise ScheduleError("日期不存在，请检查月和日") from None
            if (
                not m.group("y")
                and datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz) <= now
            ):
                day = day.replace(year=year + 1)  # 2月8日 in December means next year
        run_at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
        if run_at <= now:
            raise ScheduleError(f"{run_at:%Y-%m-%d %H:%M} 已经过去了，请选一个将来的时间")
        return Schedule(f"{run_at:%Y-%m-%d %H:%M}", None, run_at), text[m.end() :]
    raise ScheduleError(
        "看不懂时间。可以这样写：每天 08:00、工作日 09:00、每周五 19:00、每月1日 09:00、"
        "2027-02-08 10:00、12月31日 20:00、明天 10:00，或 cron 0 19 * * 5"
    )


_CLOCK = re.compile(rf"^(?:(?P<ampm>上午|早上|中午|下午|晚上))?\s*{_TIME}")


def parse_clock(text: str) -> tuple[int, int, int] | None:
    """A time of day at the start of text (19:00, 晚上7点, 下午3点半): (hour, minute, used)."""
    m = _CLOCK.match(text)
    if m is None:
        return None
    hour, minute = _clock(m)
    if m.group("ampm") in ("下午", "晚上") and hour < 12:
        hour += 12
    return hour, minute, m.end()
