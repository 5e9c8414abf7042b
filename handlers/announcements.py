"""Scheduled notices (通知): fire-safety and policy notices posted on time, each exactly once."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import NoReturn

from handlers import texts
from handlers.context import Context, UserError
from handlers.feature import Due, Feature
from handlers.notice_library import LIBRARY, WEEKDAY_NAMES, in_season_after
from handlers.registry import Command
from handlers.settings import Group
from handlers.when import Schedule, ScheduleError, next_fire, parse_schedule
from storage import NotFound
from storage.notices import ACTIVE, DELETED, PAUSED, Notice

log = logging.getLogger(__name__)

ADMINS = frozenset({"admin", "branch", "community"})
ROTATION_WORDS = ("消防轮播", "轮播")
_GROUPS = re.compile(r"^\s*(?:群|groups?)\s*[=:：]\s*(?P<names>[^\s]+)")
_PIN = re.compile(r"^\s*(?:置顶|pin)(?=\s|$)")
_NUMBER = re.compile(r"^[Aa]?(\d{1,9})$")


def schedule_of(notice: Notice) -> Schedule:
    return Schedule(notice.schedule, notice.cron, notice.run_at)


def render(ctx: Context, template: str, at: datetime) -> str:
    """A notice's text with its placeholders filled in (no format strings: text is data)."""
    local = ctx.local(at)
    values = {
        "{社区}": ctx.settings.community.name,
        "{community}": ctx.settings.community.name,
        "{日期}": f"{local.month}月{local.day}日",
        "{date}": f"{local:%Y-%m-%d}",
        "{星期}": WEEKDAY_NAMES[local.weekday()],
    }
    for key, value in values.items():
        template = template.replace(key, value)
    return template


def notice_text(ctx: Context, notice: Notice, at: datetime, rotation: int | None = None) -> str:
    """What an occurrence says: its own text, or the next notice of the library in season."""
    if notice.rotate:
        position = notice.rotation if rotation is None else rotation
        position += in_season_after(position, ctx.local(at).month)
        return render(ctx, LIBRARY[position % len(LIBRARY)][1], at)
    return render(ctx, notice.text, at)


def targets_of(ctx: Context, notice: Notice) -> list[Group]:
    if not notice.targets:
        return list(ctx.settings.groups)
    return [g for g in ctx.settings.groups if g.name in notice.targets]


def describe_targets(notice: Notice) -> str:
    return "、".join(notice.targets) if notice.targets else texts.NOTICE_ALL_GROUPS


def _in_quiet(ctx: Context, at: datetime) -> bool:
    q = ctx.settings.announcement_settings
    if q.quiet_start is None or q.quiet_end is None:
        return False
    t = ctx.local(at).time()
    if q.quiet_start <= q.quiet_end:
        return q.quiet_start <= t < q.quiet_end
    return t >= q.quiet_start or t < q.quiet_end


def _quiet_ended(ctx: Context, at: datetime) -> datetime:
    """When the quiet hours around `at` end (at itself when it is not in them)."""
    q = ctx.settings.announcement_settings
    if not _in_quiet(ctx, at) or q.quiet_end is None:
        return at
    local = ctx.local(at)
    end = datetime.combine(local.date(), q.quiet_end, tzinfo=local.tzinfo)
    if end <= local:
        end += timedelta(days=1)
    return end


def fmt_next(ctx: Context, at: datetime | None) -> str:
    return ctx.fmt(at) if at else texts.NOTICE_NO_NEXT


async def post_due_notices(ctx: Context) -> int:
    """Post every occurrence that has come (claimed first, so each happens once)."""
    grace = timedelta(minutes=ctx.settings.announcement_settings.grace_minutes)
    posted = 0
    for notice in await ctx.uow.notices.due(now=ctx.now):
        if _in_quiet(ctx, ctx.now):
            continue  # the occurrence waits until the quiet hours end
        schedule = schedule_of(notice)
        occurrence: datetime | None = notice.next_run_at
        rotation = notice.rotation
        skipped: list[datetime] = []
        while occurrence is not None and occurrence <= ctx.now:
            late = ctx.now - _quiet_ended(ctx, occurrence)
            if late > grace:
                if await ctx.uow.notices.claim(
                    notice_id=notice.id, scheduled_at=occurrence, outcome="skipped", at=ctx.now
                ):
                    skipped.append(occurrence)
                    log.warning(
                        "notice %s of %s skipped: %s late, past the grace of %s",
                        notice.number,
                        occurrence.isoformat(),
                        late,
                        grace,
                    )
            elif await ctx.uow.notices.claim(
                notice_id=notice.id, scheduled_at=occurrence, outcome="posted", at=ctx.now
            ):
                text = notice_text(ctx, notice, occurrence, rotation)
                if notice.rotate:  # past any notice out of season that was skipped
                    rotation += in_season_after(rotation, ctx.local(occurrence).month)
                for group in targets_of(ctx, notice):
                    await ctx.post(group, text, pin=notice.pin)
                rotation += 1
                posted += 1
            occurrence = next_fire(
                schedule, after=occurrence, now=ctx.now, tz=ctx.settings.timezone
            )
        await ctx.uow.notices.advance(
            notice_id=notice.id, next_run_at=occurrence, rotation=rotation
        )
        if skipped:
            await _tell_skipped(ctx, notice, skipped)
    return posted


async def _tell_skipped(ctx: Context, notice: Notice, skipped: list[datetime]) -> None:
    """Occurrences past their grace are not posted late; whoever scheduled the notice (the
    admins for one from the config) is told once, privately, so it is not silently lost."""
    text = texts.NOTICE_SKIPPED.format(
        number=notice.number,
        text=notice.text if len(notice.text) <= 20 else notice.text[:19] + "…",
        time=ctx.fmt(skipped[0]),
        more=texts.NOTICE_SKIPPED_MORE.format(count=len(skipped)) if len(skipped) > 1 else "",
    )
    if notice.created_by is not None:
        people = [await ctx.uow.people.get(person_id=notice.created_by)]
    else:
        people = await ctx.uow.people.with_role(role="admin")
    for person in people:
        await ctx.tell(person, text)


async def next_notice_wake(ctx: Context) -> datetime | None:
    """When the next notice is to be posted, after now (or when quiet hours holding one end)."""
    wakes = []
    nxt = await ctx.uow.notices.next_run(after=ctx.now)
    if nxt is not None:
        wakes.append(_quiet_ended(ctx, nxt))
    if _in_quiet(ctx, ctx.now) and await ctx.uow.notices.due(now=ctx.now):
        wakes.append(_quiet_ended(ctx, ctx.now))
    return min(wakes) if wakes else None


def _parse_options(ctx: Context, rest: str) -> tuple[list[str], bool, str]:
    names: list[str] = []
    pin = False
    while True:
        if m := _GROUPS.match(rest):
            names += [n for n in re.split(r"[,，、]", m.group("names")) if n]
            rest = rest[m.end() :]
        elif m := _PIN.match(rest):
            pin = True
            rest = rest[m.end() :]
        else:
            break
    known = {g.name for g in ctx.settings.groups}
    for name in names:
        if name not in known:
            raise UserError(
                texts.NOTICE_UNKNOWN_GROUP.format(
                    name=name, known="、".join(sorted(known)) or texts.NOTICE_NO_NEXT
                )
            )
    return names, pin, rest.strip()


async def add_notice(ctx: Context, args: str) -> None:
    """通知 每周五 19:00 [群=业主群] [置顶] 内容: schedule a notice."""
    if not args:
        raise UserError(texts.NOTICE_USAGE)
    try:
        schedule, rest = parse_schedule(args, now=ctx.now, tz=ctx.settings.timezone)
    except ScheduleError as exc:
        raise UserError(f"{exc}\n{texts.NOTICE_USAGE}") from None
    targets, pin, text = _parse_options(ctx, rest)
    if not text:
        raise UserError(texts.NOTICE_EMPTY)
    rotate = text in ROTATION_WORDS
    first = next_fire(schedule, after=None, now=ctx.now, tz=ctx.settings.timezone)
    notice = await ctx.uow.notices.add(
        text=text,
        schedule=schedule.label,
        cron=schedule.cron,
        run_at=schedule.run_at,
        pin=pin,
        rotate=rotate,
        targets=targets,
        next_run_at=first,
        created_by=ctx.sender.id,
        at=ctx.now,
    )
    ctx.schedule_changed = True
    answer = texts.NOTICE_ADDED.format(
        number=notice.number,
        schedule=schedule.label,
        next=fmt_next(ctx, first),
        targets=describe_targets(notice),
        pin=texts.NOTICE_PIN if pin else "",
    )
    q = ctx.settings.announcement_settings
    if first is not None and q.quiet_start and q.quiet_end and _in_quiet(ctx, first):
        answer += texts.NOTICE_IN_QUIET.format(
            time=f"{ctx.local(first):%H:%M}",
            start=f"{q.quiet_start:%H:%M}",
            end=f"{q.quiet_end:%H:%M}",
            number=notice.number,
        )
    await ctx.reply(answer)


async def list_notices(ctx: Context, args: str) -> None:
    """通知列表: every notice with its next run in local time."""
    found = await ctx.uow.notices.listed()
    if not found:
        await ctx.reply(texts.NOTICE_LIST_NONE)
        return
    lines = [texts.NOTICE_LIST_HEADER]
    for n in found:
        body = texts.NOTICE_ROTATION.format(count=len(LIBRARY)) if n.rotate else n.text
        lines.append(
            texts.NOTICE_LIST_LINE.format(
                number=n.number,
                schedule=n.schedule,
                targets=describe_targets(n),
                status=texts.NOTICE_STATUS.get(n.status, n.status),
                next=fmt_next(ctx, n.next_run_at if n.status == ACTIVE else None),
                text=body[:60] + ("…" if len(body) > 60 else ""),
            )
        )
    await ctx.reply("\n".join(lines))


async def _notice(ctx: Context, args: str, usage: str) -> Notice:
    m = _NUMBER.match(args.strip())
    if not m:
        raise UserError(usage)
    try:
        found = await ctx.uow.notices.get(notice_id=int(m.group(1)))
    except NotFound:
        found = None
    if found is None or found.status == DELETED:
        raise UserError(texts.NOTICE_NO_SUCH.format(number=f"A{int(m.group(1))}"))
    return found


async def _refuse_changed(ctx: Context, notice: Notice) -> NoReturn:
    """Paused, resumed or deleted by another admin a moment ago: say what it is now."""
    now = await ctx.uow.notices.get(notice_id=notice.id)
    if now.status == DELETED:
        raise UserError(texts.NOTICE_NO_SUCH.format(number=now.number))
    raise UserError(
        texts.NOTICE_ALREADY.format(number=now.number, status=texts.NOTICE_STATUS[now.status])
    )


async def pause_notice(ctx: Context, args: str) -> None:
    """暂停通知 A1."""
    notice = await _notice(ctx, args, "用法：暂停通知 A1")
    if notice.status != ACTIVE:
        raise UserError(
            texts.NOTICE_ALREADY.format(
                number=notice.number, status=texts.NOTICE_STATUS[notice.status]
            )
        )
    if not await ctx.uow.notices.pause(notice_id=notice.id):
        await _refuse_changed(ctx, notice)
    ctx.schedule_changed = True
    await ctx.reply(texts.NOTICE_PAUSED.format(number=notice.number))


async def resume_notice(ctx: Context, args: str) -> None:
    """恢复通知 A1: occurrences missed while paused are not posted."""
    notice = await _notice(ctx, args, "用法：恢复通知 A1")
    if notice.status != PAUSED:
        raise UserError(
            texts.NOTICE_ALREADY.format(
                number=notice.number, status=texts.NOTICE_STATUS[notice.status]
            )
        )
    schedule = schedule_of(notice)
    upcoming = notice.next_run_at
    if upcoming is None or upcoming <= ctx.now:
        upcoming = next_fire(schedule, after=None, now=ctx.now, tz=ctx.settings.timezone)
        if schedule.cron is None and upcoming is not None and upcoming <= ctx.now:
            upcoming = None
    if not await ctx.uow.notices.resume(notice_id=notice.id, next_run_at=upcoming):
        await _refuse_changed(ctx, notice)
    ctx.schedule_changed = True
    await ctx.reply(texts.NOTICE_RESUMED.format(number=notice.number, next=fmt_next(ctx, upcoming)))


async def delete_notice(ctx: Context, args: str) -> None:
    """删除通知 A1."""
    notice = await _notice(ctx, args, "用法：删除通知 A1")
    if not await ctx.uow.notices.delete(notice_id=notice.id):  # by another admin a moment ago
        raise UserError(texts.NOTICE_NO_SUCH.format(number=notice.number))
    ctx.schedule_changed = True
    await ctx.reply(texts.NOTICE_DELETED.format(number=notice.number))


async def preview_notice(ctx: Context, args: str) -> None:
    """预览通知 A1: the next occurrence, sent to the admin privately."""
    notice = await _notice(ctx, args, "用法：预览通知 A1")
    at = notice.next_run_at or ctx.now
    await ctx.tell(
        ctx.sender,
        texts.NOTICE_PREVIEW.format(
            number=notice.number,
            next=fmt_next(ctx, notice.next_run_at),
            targets=describe_targets(notice),
            text=notice_text(ctx, notice, at),
        ),
    )


SUBCOMMANDS = {
    "add": add_notice,
    "list": list_notices,
    "pause": pause_notice,
    "resume": resume_notice,
    "delete": delete_notice,
    "test": preview_notice,
}


async def announce(ctx: Context, args: str) -> None:
    """/announce add|list|pause|resume|delete|test …"""
    sub, _, rest = args.partition(" ")
    handler = SUBCOMMANDS.get(sub.lower())
    if handler is None:
        raise UserError(texts.NOTICE_SUB_USAGE)
    await handler(ctx, rest.strip())


COMMANDS = (
    Command(
        name="announce",
        keywords=("通知", "发通知", "定时通知"),
        slash=(),
        handler=add_notice,
        summary="通知 每周五 19:00 内容 —— 定时发布通知（群=业主群、置顶 可选；请私聊我）",
        usage=texts.NOTICE_USAGE,
        roles=ADMINS,
        private_only=True,
    ),
    Command(
        name="announce_slash",
        keywords=(),
        slash=("announce",),
        handler=announce,
        summary="",
        english="Scheduled notices: /announce add|list|pause|resume|delete|test",
        usage=texts.NOTICE_SUB_USAGE,
        roles=ADMINS,
        private_only=True,
    ),
    Command(
        name="announce_list",
        private_only=True,
        keywords=("通知列表", "查看通知"),
        slash=(),
        handler=list_notices,
        summary="通知列表 —— 查看已安排的通知和下次时间",
        usage="通知列表",
        roles=ADMINS,
        takes_args=False,
    ),
    Command(
        name="announce_pause",
        private_only=True,
        keywords=("暂停通知",),
        slash=(),
        handler=pause_notice,
        summary="暂停通知 A1 / 恢复通知 A1 / 删除通知 A1 / 预览通知 A1",
        usage="暂停通知 A1",
        roles=ADMINS,
    ),
    Command(
        name="announce_resume",
        private_only=True,
        keywords=("恢复通知",),
        slash=(),
        handler=resume_notice,
        summary="",
        usage="恢复通知 A1",
        roles=ADMINS,
    ),
    Command(
        name="announce_delete",
        private_only=True,
        keywords=("删除通知",),
        slash=(),
        handler=delete_notice,
        summary="",
        usage="删除通知 A1",
        roles=ADMINS,
    ),
    Command(
        name="announce_test",
        private_only=True,
        keywords=("预览通知",),
        slash=(),
        handler=preview_notice,
        summary="",
        usage="预览通知 A1",
        roles=ADMINS,
    ),
)


FEATURE = Feature(
    name="announcements", commands=COMMANDS, due=(Due(post_due_notices, next_notice_wake),)
)
