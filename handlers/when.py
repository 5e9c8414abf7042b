"""Days, times of day and schedules as people write them — one grammar for every feature.

Days: 今天, 明天, 周三, 下周一, 12月3日, 2026-12-03. Times: 19:00, 晚上7点, 下午3点半.
Schedules: 每天 08:00, 工作日 09:00, 每周五 19:00, 每月1日 09:00, 2027-02-08 10:00,
12月31日 20:00, 明天 10:00, cron 0 19 * * 5.

One weekday convention: Monday = 0 … Sunday = 6, as Python's `date.weekday()`. Standard cron
counts from Sunday = 0; that numbering appears only in the cron lines this module writes and
reads (`_cron_day`), which are stored and shown as they are.

One rule for the year of a date written without one (`bare_date`): this year's, unless that
day is more than 180 days past — then next year's (1月3日 written in December). A date that
is past by this rule stays past: each feature says what a past day means to it (the menu of
a past day cannot be set, a notice or an event cannot start in the past, a leave cannot end
before today). So on 2026-11-26, 11月20日 is 2026-11-20 everywhere: a meal sign-up or an
event for it is refused as past, and so is a notice — never quietly moved to 2027-11-20."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from apscheduler.triggers.cron import CronTrigger

WEEKDAY_WORDS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
WEEKDAY_SHORT = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_EN_DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_CRON_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # cron's 0 … 6
PAST_WINDOW = timedelta(days=180)  # a bare date further past than this is next year's


class DayError(ValueError):
    """The day written does not exist."""


class ScheduleError(ValueError):
    """The schedule cannot be used; the message says why, in Chinese."""


def bare_date(month: int, day: int, today: date) -> date:
    """The date of a month and day written without a year (see the module's rule);
    ValueError when there is no such day."""
    found = date(today.year, month, day)
    if found < today - PAST_WINDOW:
        found = found.replace(year=today.year + 1)
    return found


def _cron_day(weekday: int) -> int:
    """Monday = 0 → standard cron's number of the same day (Sunday = 0)."""
    return (weekday + 1) % 7


# ---- days

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


def parse_day(text: str, today: date) -> tuple[date, int] | None:
    """The day at the start of text and how many characters it took, or None.

    A weekday means the next such day (today included); 下周三 the one in the next week,
    下下周三 the week after; a month and day without a year as `bare_date` says."""
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
    month, day = int(m.group("mo")), int(m.group("d"))
    try:
        if m.group("y"):
            return date(int(m.group("y")), month, day), m.end()
        return bare_date(month, day, today), m.end()
    except ValueError:
        raise DayError(f"没有「{m.group(0)}」这一天") from None


def day_label(day: date, today: date) -> str:
    """11月27日（周五）, with 今天/明天 where it helps."""
    near = {0: "今天", 1: "明天", 2: "后天"}.get((day - today).days)
    base = f"{day.month}月{day.day}日（{WEEKDAY_SHORT[day.weekday()]}）"
    return f"{near} {base}" if near else base


# ---- times of day

_TIME = r"(?P<h>\d{1,2})\s*(?:[:：](?P<m>\d{2})|点(?P<half>半)?(?:(?P<m2>\d{1,2})分?)?)"
_CLOCK = re.compile(rf"^(?:(?P<ampm>上午|早上|中午|下午|晚上))?\s*{_TIME}")


def _clock(m: re.Match[str]) -> tuple[int, int]:
    hour = int(m.group("h"))
    minute = int(m.group("m") or m.group("m2") or (30 if m.group("half") else 0))
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ScheduleError(f"时间「{m.group(0)}」不对，请写 0:00–23:59")
    return hour, minute


def parse_clock(text: str) -> tuple[int, int, int] | None:
    """A time of day at the start of text (19:00, 晚上7点, 下午3点半): (hour, minute, used)."""
    m = _CLOCK.match(text)
    if m is None:
        return None
    hour, minute = _clock(m)
    if m.group("ampm") in ("下午", "晚上") and hour < 12:
        hour += 12
    return hour, minute, m.end()


# ---- schedules (fire times come from APScheduler's triggers: a pure function of the last)


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
    """An APScheduler trigger for a standard cron line (cron's weekday numbers, Sunday = 0,
    are turned into names: APScheduler 3 counts from Monday = 0)."""
    fields = cron.split()
    if len(fields) != 5:
        raise ScheduleError("cron 需要5段：分 时 日 月 星期，例如 cron 0 19 * * 5")
    minute, hour, day, month, dow = fields
    if dow != "*" and re.fullmatch(r"[\d,\-/*]+", dow):
        try:
            days = _expand(dow, 0, 7)
        except ValueError as exc:
            raise ScheduleError(str(exc)) from None
        dow = ",".join(_CRON_DAY_NAMES[d] for d in sorted({d % 7 for d in days}))
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


_REPEAT = re.compile(
    rf"^(?:(?P<daily>每天|每日|daily)|(?P<workdays>工作日|每个工作日|weekdays)"
    rf"|(?:每周|每星期|weekly\s+)(?P<days>[一二三四五六日天七、,，和\s]+|[a-z,]+)"
    rf"|(?:每月|monthly\s+)(?P<dom>\d{{1,2}})\s*[日号]?)\s*{_TIME}"
)
_ONCE_ISO = re.compile(rf"^(?P<y>\d{{4}})[-/.](?P<mo>\d{{1,2}})[-/.](?P<d>\d{{1,2}})\s*{_TIME}")
_ONCE_CN = re.compile(rf"^(?:(?P<y>\d{{4}})年)?(?P<mo>\d{{1,2}})月(?P<d>\d{{1,2}})[日号]\s*{_TIME}")
_ONCE_REL = re.compile(rf"^(?P<rel>今天|明天|后天)\s*{_TIME}")
_CRON = re.compile(r"^cron\s+[\"']?(?P<expr>(?:\S+\s+){4}\S+?)[\"']?(?=\s|$)")


def parse_schedule(
    text: str, *, now: datetime, tz: tzinfo, past: bool = False
) -> tuple[Schedule, str]:
    """The schedule at the start of text, and the rest; ScheduleError when there is none,
    or when it is a one-off already past (unless `past`: a notice of the config that ran)."""
    text = text.strip()
    local_now = now.astimezone(tz)
    if m := _CRON.match(text):
        expr = m.group("expr")
        cron_trigger(expr, tz)  # validate
        return Schedule(f"cron {expr}", expr, None), text[m.end() :]
    if m := _REPEAT.match(text):
        hour, minute = _clock(m)
        at = f"{hour:02d}:{minute:02d}"
        rest = text[m.end() :]
        if m.group("daily"):
            return Schedule(f"每天 {at}", f"{minute} {hour} * * *", None), rest
        if m.group("workdays"):
            return Schedule(f"工作日 {at}", f"{minute} {hour} * * 1-5", None), rest
        if m.group("dom"):
            dom = int(m.group("dom"))
            if not 1 <= dom <= 31:
                raise ScheduleError("每月的日期要在1到31之间")
            return Schedule(f"每月{dom}日 {at}", f"{minute} {hour} {dom} * *", None), rest
        raw = m.group("days").strip()
        weekdays = {WEEKDAY_WORDS[c] for c in raw if c in WEEKDAY_WORDS} | {
            _EN_DAYS[d] for d in raw.split(",") if d in _EN_DAYS
        }
        if not weekdays:
            raise ScheduleError("请写明星期几，例如：每周五 19:00")
        # listed in cron's order (日 first), as labels and cron lines have always been stored
        days = sorted(_cron_day(d) for d in weekdays)
        names = "、".join("日一二三四五六"[d] for d in days)
        cron = f"{minute} {hour} * * {','.join(map(str, days))}"
        return Schedule(f"每周{names} {at}", cron, None), rest
    m = _ONCE_ISO.match(text) or _ONCE_CN.match(text) or _ONCE_REL.match(text)
    if m:
        hour, minute = _clock(m)
        today = local_now.date()
        try:
            if "rel" in m.groupdict() and m.group("rel"):
                day = today + timedelta(days=("今天", "明天", "后天").index(m.group("rel")))
            elif m.group("y"):
                day = date(int(m.group("y")), int(m.group("mo")), int(m.group("d")))
            else:
                day = bare_date(int(m.group("mo")), int(m.group("d")), today)
        except ValueError:
            raise ScheduleError("日期不存在，请检查月和日") from None
        run_at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
        if run_at <= now and not past:
            raise ScheduleError(f"{run_at:%Y-%m-%d %H:%M} 已经过去了，请选一个将来的时间")
        return Schedule(f"{run_at:%Y-%m-%d %H:%M}", None, run_at), text[m.end() :]
    raise ScheduleError(
        "看不懂时间。可以这样写：每天 08:00、工作日 09:00、每周五 19:00、每月1日 09:00、"
        "2027-02-08 10:00、12月31日 20:00、明天 10:00，或 cron 0 19 * * 5"
    )
