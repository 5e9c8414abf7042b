"""Community events (议事会, 招聘会, 公益课堂) and RSVPs: guests, capacity, a waitlist that
moves up on cancellation, reminders, the organiser's roster and running count."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from handlers import texts
from handlers.chat import Button
from handlers.context import Context, UserError
from handlers.exports import export_path, write_table
from handlers.feature import Due, Feature
from handlers.registry import Command
from handlers.settings import Group
from handlers.understanding import SlotError, parse_rsvp
from handlers.when import DayError, ScheduleError, day_label, parse_clock, parse_day
from storage import NotFound
from storage.events import CANCELLED, GOING, OPEN, WAITLIST, Draft, Event, Rsvp

ORGANISERS = frozenset({"admin", "community", "branch", "grid_worker"})
NEW_EVENT = "event_new"
_NUMBER = re.compile(r"^[Ee]?(\d{1,9})(?:\s+(?P<rest>.*))?$", re.S)
_CAPACITY = re.compile(r"^(?:限|共|最多)?\s*(?P<n>\d{1,5})\s*(?:人|位|名)?$")
_GROUPS = re.compile(r"^(?:群|groups?)\s*[=:：]\s*(?P<names>\S+)$")
ROSTER_HEADERS = ("活动", "序号", "姓名", "家属人数", "状态", "报名时间")


def when(ctx: Context, at: datetime) -> str:
    local = ctx.local(at)
    return f"{day_label(local.date(), ctx.today)} {local:%H:%M}"


def parse_when(ctx: Context, text: str) -> tuple[datetime, str] | None:
    """'12月5日 19:00 …' → (the moment, the rest); None when it does not start with one."""
    try:
        found = parse_day(text, ctx.today)
    except DayError as exc:
        raise UserError(str(exc)) from None
    if found is None:
        return None
    day, used = found
    rest = text[used:].lstrip()
    try:
        clock = parse_clock(rest)
    except ScheduleError as exc:
        raise UserError(str(exc)) from None
    if clock is None:
        return None
    hour, minute, used = clock
    at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ctx.settings.timezone)
    return at, rest[used:].strip()


def _capacity(word: str) -> int | None:
    m = _CAPACITY.match(word)
    return int(m.group("n")) if m else None


async def target_groups(ctx: Context, names: list[str]) -> list[Group]:
    """The groups an event by the sender goes to; a grid worker's stay within their grid."""
    known = {g.name: g for g in ctx.settings.groups}
    for name in names:
        if name not in known:
            raise UserError(
                texts.NOTICE_UNKNOWN_GROUP.format(name=name, known="、".join(known) or "无")
            )
    chosen = [known[n] for n in names] if names else list(known.values())
    if ctx.sender.has_any("admin", "community", "branch"):
        return chosen
    mine: set[str] = set()
    for group in ctx.settings.groups:
        grids = {await ctx.uow.people.grid_of_building(name=b) for b in group.buildings}
        workers = [
            w.id
            for g in grids
            if g is not None
            for w in await ctx.uow.people.workers_of_grid(grid_id=g.id)
        ]
        if group.buildings and all(g is not None for g in grids) and ctx.sender.id in workers:
            mine.add(group.name)
    allowed = [g for g in chosen if g.name in mine]
    if not allowed or (names and len(allowed) < len(chosen)):
        raise UserError(texts.EVENT_NOT_YOUR_GRID.format(groups="、".join(sorted(mine)) or "无"))
    return allowed


async def publish(ctx: Context, event: Event, groups: list[Group]) -> None:
    """Post the event to its groups, with the RSVP button where there are buttons."""
    capacity = texts.EVENT_POST_CAPACITY.format(capacity=event.capacity) if event.capacity else ""
    text = texts.EVENT_POST.format(
        number=event.number,
        title=event.title,
        time=when(ctx, event.starts_at),
        place=event.place,
        capacity=capacity,
        description=f"{event.description}\n" if event.description else "",
    )
    for group in groups:
        await ctx.post(group, text, [Button(texts.EVENT_RSVP_BUTTON, f"报名 {event.number}")])


async def create(
    ctx: Context,
    *,
    title: str,
    starts_at: datetime,
    place: str,
    capacity: int | None,
    description: str,
    group_names: list[str],
) -> None:
    if starts_at <= ctx.now:
        raise UserError(texts.EVENT_PAST.format(time=ctx.fmt(starts_at)))
    groups = await target_groups(ctx, group_names)
    event = await ctx.uow.events.create(
        title=title[:100],
        starts_at=starts_at,
        place=place[:100],
        capacity=capacity,
        description=description or None,
        targets=[g.name for g in groups],
        created_by=ctx.sender.id,
        at=ctx.now,
    )
    await publish(ctx, event, groups)
    await ctx.reply(
        texts.EVENT_CREATED.format(
            number=event.number,
            title=event.title,
            time=when(ctx, starts_at),
            place=event.place,
            capacity=f"，限{capacity}人" if capacity else "",
            targets="、".join(g.name for g in groups),
        )
    )


async def new_event(ctx: Context, args: str) -> None:
    """发起活动 议事会 12月5日 19:00 党群服务中心 限30人 [群=…] [说明], or step by step."""
    msg = ctx.incoming
    assert msg is not None
    if not args.strip():
        await target_groups(ctx, [])  # refused before the dialog, not after it
        await ctx.uow.events.save_draft(Draft(ctx.sender.id, None, None, None))
        await _ask(ctx, texts.EVENT_ASK_TITLE)
        return
    title, _, rest = args.strip().partition(" ")
    parsed = parse_when(ctx, rest.strip())
    if parsed is None:
        raise UserError(texts.EVENT_USAGE)
    starts_at, rest = parsed
    place, _, rest = rest.partition(" ")
    if not place:
        raise UserError(texts.EVENT_USAGE)
    capacity = None
    group_names: list[str] = []
    description: list[str] = []
    for word in rest.split():
        if capacity is None and not description and (n := _capacity(word)) is not None:
            capacity = n
            if n == 0:  # 限0人: nobody could come
                raise UserError(texts.EVENT_BAD_CAPACITY.format(word=word))
        elif capacity is None and not description and word.startswith(("限", "最多")):
            raise UserError(texts.EVENT_BAD_CAPACITY.format(word=word))  # 限-3人, 限三十人
        elif m := _GROUPS.match(word):
            group_names += [n for n in re.split(r"[,，、]", m.group("names")) if n]
        else:
            description.append(word)
    await create(
        ctx,
        title=title,
        starts_at=starts_at,
        place=place,
        capacity=capacity,
        description=" ".join(description),
        group_names=group_names,
    )


async def _ask(ctx: Context, question: str) -> None:
    await ctx.ask(NEW_EVENT, "", minutes=ctx.settings.reports.question_minutes * 3)
    await ctx.reply(question)


async def continue_new_event(ctx: Context, args: str) -> None:
    """The next answer of a step-by-step 发起活动."""
    draft = await ctx.uow.events.draft_of(person_id=ctx.sender.id)
    if draft is None:
        return
    answer = args.strip()
    if draft.title is None:
        await ctx.uow.events.save_draft(Draft(draft.person_id, answer[:100], None, None))
        await _ask(ctx, texts.EVENT_ASK_TIME)
    elif draft.starts_at is None:
        parsed = parse_when(ctx, answer)
        if parsed is None:
            await _ask(ctx, texts.EVENT_ASK_AGAIN_TIME)
            return
        if parsed[0] <= ctx.now:
            await _ask(ctx, texts.EVENT_PAST.format(time=ctx.fmt(parsed[0])))
            return
        await ctx.uow.events.save_draft(Draft(draft.person_id, draft.title, parsed[0], None))
        await _ask(ctx, texts.EVENT_ASK_PLACE)
    elif draft.place is None:
        await ctx.uow.events.save_draft(
            Draft(draft.person_id, draft.title, draft.starts_at, answer[:100])
        )
        await _ask(ctx, texts.EVENT_ASK_CAPACITY)
    else:
        capacity = None if answer in ("不限", "不限人数", "无", "0") else _capacity(answer)
        if capacity is None and answer not in ("不限", "不限人数", "无", "0"):
            await _ask(ctx, texts.EVENT_ASK_AGAIN_CAPACITY)
            return
        await ctx.answered()
        await ctx.uow.events.drop_draft(person_id=ctx.sender.id)
        await create(
            ctx,
            title=draft.title,
            starts_at=draft.starts_at,
            place=draft.place,
            capacity=capacity,
            description="",
            group_names=[],
        )


async def _event(ctx: Context, args: str, usage: str) -> tuple[Event, str]:
    m = _NUMBER.match(args.strip())
    if not m:
        raise UserError(usage)
    try:
        event = await ctx.uow.events.get(event_id=int(m.group(1)))
    except NotFound:
        raise UserError(texts.RSVP_NO_EVENT.format(number=f"E{int(m.group(1))}")) from None
    return event, (m.group("rest") or "").strip()


def _open_for_rsvp(ctx: Context, event: Event) -> None:
    if event.status != OPEN:
        status = "取消" if event.status == CANCELLED else "关闭报名"
        raise UserError(texts.RSVP_CLOSED.format(number=event.number, status=status))
    if event.starts_at <= ctx.now:
        raise UserError(texts.RSVP_STARTED.format(number=event.number))


def rsvp_glued(rest: str) -> bool:
    """报名E1 is an RSVP; 报名的人多吗 is talk."""
    return re.match(r"^[Ee]?\d", rest) is not None


async def rsvp(ctx: Context, args: str) -> None:
    """报名 E1 [+2 / 加2人 / 2人]: a place for the sender and their guests, or the waitlist."""
    try:
        slots = parse_rsvp(args)
    except SlotError as exc:
        if _NUMBER.match(args.strip()) is None:
            raise UserError(texts.RSVP_USAGE) from None
        number = _NUMBER.match(args.strip())
        assert number is not None
        limit = ctx.settings.events.max_guests
        raise UserError(
            texts.RSVP_GUESTS.format(max=limit, number=f"E{int(number.group(1))}")
            + f"（没看懂：{exc}）"
        ) from None
    event, _ = await _event(ctx, f"E{slots.event}", texts.RSVP_USAGE)
    _open_for_rsvp(ctx, event)
    guests = slots.guests
    limit = ctx.settings.events.max_guests
    if not 0 <= guests <= limit:
        raise UserError(texts.RSVP_GUESTS.format(max=limit, number=event.number))
    size = 1 + guests
    mine = await ctx.uow.events.rsvp_of(event_id=event.id, person_id=ctx.sender.id)
    if mine is not None and mine.status == GOING:
        if mine.guests == guests or not slots.stated:  # 报名 E1 again: a confirmation
            size = 1 + mine.guests
            raise UserError(texts.RSVP_ALREADY.format(number=event.number, people=size))
        if event.capacity is not None:
            left = event.capacity - await ctx.uow.events.taken(
                event_id=event.id, excluding=ctx.sender.id
            )
            if size > left:
                raise UserError(texts.RSVP_TOO_MANY.format(title=event.title, left=left))
        if not await ctx.uow.events.change_guests(
            event_id=event.id, person_id=ctx.sender.id, guests=guests, at=ctx.now
        ):  # withdrawn a moment ago (another chat of theirs): nothing to change
            raise UserError(texts.RSVP_NOTHING.format(number=event.number))
        await ctx.reply(texts.RSVP_UPDATED_GOING.format(number=event.number, people=size))
        await promote(ctx, event)
        return
    if event.capacity is not None and size > event.capacity:  # could never move up
        raise UserError(
            texts.RSVP_OVER_CAPACITY.format(
                title=event.title, capacity=event.capacity, people=size, number=event.number
            )
        )
    taken = await ctx.uow.events.taken(event_id=event.id)
    # whoever waits does not fit the places left (promote() saw to it): a party that fits
    # takes them, as one behind them on the waitlist would
    fits = event.capacity is None or taken + size <= event.capacity
    joined = await ctx.uow.events.join(
        event_id=event.id, person_id=ctx.sender.id, guests=guests, going=fits, at=ctx.now
    )
    if joined is None:  # going already, since a moment ago (another chat of theirs)
        raise UserError(texts.RSVP_ALREADY.format(number=event.number, people=size))
    if fits:
        text = texts.RSVP_GOING.format(
            number=event.number,
            title=event.title,
            people=size,
            guests=texts.RSVP_GUESTS_PART.format(guests=guests) if guests else "",
            time=when(ctx, event.starts_at),
            place=event.place,
        )
        reminder = event.starts_at - timedelta(minutes=ctx.settings.events.remind_before_minutes)
        if reminder <= ctx.now:  # too soon for the reminder: promise none
            text = text.replace(texts.RSVP_REMINDER_PROMISE, "")
        await ctx.reply(text)
        return
    position = await _position(ctx, event, ctx.sender.id)
    await ctx.reply(texts.RSVP_WAITLIST.format(title=event.title, position=position, people=size))


async def _position(ctx: Context, event: Event, person_id: int) -> int:
    waiting = await ctx.uow.events.rsvps(event_id=event.id, status=WAITLIST)
    return next(i for i, r in enumerate(waiting, 1) if r.person_id == person_id)


async def promote(ctx: Context, event: Event) -> None:
    """Move the waitlist up: in order, each party that fits the places left (one that does
    not, waits on without blocking those behind it); each is told privately."""
    for r in await ctx.uow.events.rsvps(event_id=event.id, status=WAITLIST):
        taken = await ctx.uow.events.taken(event_id=event.id)
        if event.capacity is not None and taken + r.size > event.capacity:
            continue
        if not await ctx.uow.events.promote_waitlisted(
            event_id=event.id, person_id=r.person_id, at=ctx.now
        ):
            continue  # withdrawn, or promoted by another worker, a moment ago
        person = await ctx.uow.people.get(person_id=r.person_id)
        await ctx.tell(
            person,
            texts.RSVP_PROMOTED.format(
                title=event.title,
                people=r.size,
                time=when(ctx, event.starts_at),
                place=event.place,
            ),
        )


async def cancel_rsvp(ctx: Context, args: str) -> None:
    """取消报名 E1: the place goes to the next on the waitlist."""
    event, _ = await _event(ctx, args, "用法：取消报名 E1")
    mine = await ctx.uow.events.rsvp_of(event_id=event.id, person_id=ctx.sender.id)
    if mine is None or mine.status not in (GOING, WAITLIST) or event.status == CANCELLED:
        raise UserError(texts.RSVP_NOTHING.format(number=event.number))
    _not_started(ctx, event, "取消报名")
    if not await ctx.uow.events.withdraw(event_id=event.id, person_id=ctx.sender.id, at=ctx.now):
        raise UserError(texts.RSVP_NOTHING.format(number=event.number))
    await ctx.reply(texts.RSVP_CANCELLED.format(number=event.number, title=event.title))
    if mine.status == GOING and event.status == OPEN and event.starts_at > ctx.now:
        await promote(ctx, event)


async def list_events(ctx: Context, args: str) -> None:
    """活动: upcoming events with the places left."""
    found = await ctx.uow.events.upcoming(now=ctx.now)
    if not found:
        await ctx.reply(texts.EVENTS_NONE)
        return
    lines = [texts.EVENTS_HEADER]
    buttons = []
    for e in found:
        taken = await ctx.uow.events.taken(event_id=e.id)
        if e.capacity is None:
            left = texts.EVENTS_UNLIMITED.format(taken=taken)
        elif taken >= e.capacity:
            left = texts.EVENTS_FULL
        else:
            left = texts.EVENTS_LEFT.format(left=e.capacity - taken)
        lines.append(
            texts.EVENTS_LINE.format(
                number=e.number,
                title=e.title,
                time=when(ctx, e.starts_at),
                place=e.place,
                left=left,
            )
        )
        buttons.append(Button(f"报名 {e.number}", f"报名 {e.number}"))
    await ctx.reply("\n".join(lines), buttons[:4])


async def _organised(ctx: Context, args: str, usage: str, action: str) -> tuple[Event, str]:
    """The event named in `args`, when the sender organised it or is staff; else refused,
    saying what they tried (`action`, with {number})."""
    event, rest = await _event(ctx, args, usage)
    if event.created_by != ctx.sender.id and not ctx.sender.has_any("admin", "community", "branch"):
        what = action.format(number=event.number)
        raise UserError(texts.NOT_ORGANISER.format(action=what))
    return event, rest


async def roster(ctx: Context, args: str) -> None:
    """名单 E1: who is going (with guests) and the waitlist, for the organiser, privately."""
    event, _ = await _organised(ctx, args, "用法：名单 E1", "查看 {number} 的名单")
    going = await ctx.uow.events.rsvps(event_id=event.id, status=GOING)
    waiting = await ctx.uow.events.rsvps(event_id=event.id, status=WAITLIST)
    lines = [
        texts.ROSTER_HEADER.format(
            number=event.number,
            title=event.title,
            time=when(ctx, event.starts_at),
            place=event.place,
            taken=sum(r.size for r in going),
            capacity=texts.EVENT_DIGEST_CAPACITY.format(capacity=event.capacity)
            if event.capacity
            else "",
        )
    ]
    lines += await _roster_lines(ctx, going) or [texts.ROSTER_EMPTY]
    if waiting:
        lines += [texts.ROSTER_WAITLIST, *await _roster_lines(ctx, waiting)]
    await ctx.tell(ctx.sender, "\n".join(lines))


async def _roster_lines(ctx: Context, rsvps: list[Rsvp]) -> list[str]:
    return [
        texts.ROSTER_LINE.format(
            i=i,
            name=(await ctx.uow.people.get(person_id=r.person_id)).name,
            guests=texts.ROSTER_GUESTS.format(guests=r.guests) if r.guests else "",
        )
        for i, r in enumerate(rsvps, 1)
    ]


async def export_roster(ctx: Context, args: str) -> None:
    """导出名单 E1 [csv]: the roster as XLSX (or CSV), privately."""
    event, rest = await _organised(ctx, args, "用法：导出名单 E1", "导出 {number} 的名单")
    suffix = "csv" if rest.lower() == "csv" else "xlsx"
    rows: list[list[str | int]] = []
    for status, label in ((GOING, "已报名"), (WAITLIST, "候补")):
        for i, r in enumerate(await ctx.uow.events.rsvps(event_id=event.id, status=status), 1):
            person = await ctx.uow.people.get(person_id=r.person_id)
            rows.append(
                [
                    event.number,
                    i,
                    person.name,
                    r.guests,
                    label,
                    ctx.local(r.queued_at).strftime("%Y-%m-%d %H:%M"),
                ]
            )
    path = export_path(ctx, f"event-{event.number}.{suffix}")
    await write_table(path, ROSTER_HEADERS, rows, title=f"{event.number} {event.title}")
    await ctx.tell(
        ctx.sender,
        texts.EXPORT_DONE.format(what=f"{event.number}名单", rows=len(rows)),
        document=str(path),
    )


def _not_started(ctx: Context, event: Event, what: str) -> None:
    if event.starts_at <= ctx.now:
        raise UserError(
            texts.EVENT_STARTED.format(
                number=event.number, time=when(ctx, event.starts_at), what=what
            )
        )


async def close_event(ctx: Context, args: str) -> None:
    """关闭活动 E1: no more RSVPs."""
    event, _ = await _organised(ctx, args, "用法：关闭活动 E1", "关闭 {number} 的报名")
    if event.status == CANCELLED:
        raise UserError(texts.EVENT_ALREADY_CANCELLED.format(number=event.number))
    if not await ctx.uow.events.close(event_id=event.id):  # cancelled a moment ago
        raise UserError(texts.EVENT_ALREADY_CANCELLED.format(number=event.number))
    await ctx.reply(texts.EVENT_CLOSED.format(number=event.number))


async def cancel_event(ctx: Context, args: str) -> None:
    """取消活动 E1: everyone going or waiting is told, and the groups."""
    event, _ = await _organised(ctx, args, "用法：取消活动 E1", "取消 {number}")
    if event.status == CANCELLED:
        raise UserError(texts.EVENT_ALREADY_CANCELLED.format(number=event.number))
    _not_started(ctx, event, "取消")
    if not await ctx.uow.events.cancel(event_id=event.id):  # by another organiser
        raise UserError(texts.EVENT_ALREADY_CANCELLED.format(number=event.number))
    notice = texts.EVENT_CANCELLED_NOTICE.format(
        title=event.title, number=event.number, time=when(ctx, event.starts_at)
    )
    for status in (GOING, WAITLIST):
        for r in await ctx.uow.events.rsvps(event_id=event.id, status=status):
            await ctx.tell(await ctx.uow.people.get(person_id=r.person_id), notice)
    for group in ctx.settings.groups:
        if group.name in event.targets:
            await ctx.post(
                group,
                texts.EVENT_CANCELLED_POST.format(
                    title=event.title, number=event.number, time=when(ctx, event.starts_at)
                ),
            )
    await ctx.reply(texts.EVENT_CANCELLED.format(number=event.number))


def reminder_times(ctx: Context, event: Event) -> list[tuple[str, datetime]]:
    """(kind, when) of an event's reminders: the evening before, and shortly before."""
    policy = ctx.settings.events
    local = ctx.local(event.starts_at)
    day_before = datetime.combine(
        local.date() - timedelta(days=1), policy.day_before_at, tzinfo=ctx.settings.timezone
    )
    soon = event.starts_at - timedelta(minutes=policy.remind_before_minutes)
    return [("day", day_before), ("soon", soon)]


async def remind(ctx: Context) -> int:
    """Send the reminders that have come (each once), and the organisers' running counts."""
    sent = 0
    for event in await ctx.uow.events.upcoming(now=ctx.now):
        for kind, at in reminder_times(ctx, event):
            if at > ctx.now or ctx.now - at > timedelta(hours=6) or at <= event.created_at:
                continue
            if not await ctx.uow.claims.claim(name=f"event-reminder:{event.id}:{kind}", at=ctx.now):
                continue
            template = texts.EVENT_REMINDER_DAY if kind == "day" else texts.EVENT_REMINDER_SOON
            for r in await ctx.uow.events.rsvps(event_id=event.id, status=GOING):
                person = await ctx.uow.people.get(person_id=r.person_id)
                await ctx.tell(
                    person,
                    template.format(
                        time=f"{ctx.local(event.starts_at):%H:%M}",
                        place=event.place,
                        title=event.title,
                        number=event.number,
                        people=r.size,
                    ),
                )
            sent += 1
        sent += await _digest(ctx, event)
    return sent


async def _digest(ctx: Context, event: Event) -> int:
    every = timedelta(minutes=ctx.settings.events.digest_minutes)
    if event.reported_at is not None and ctx.now - event.reported_at < every:
        return 0
    taken = await ctx.uow.events.taken(event_id=event.id)
    waiting = len(await ctx.uow.events.rsvps(event_id=event.id, status=WAITLIST))
    if taken == event.reported_count:
        return 0
    if not await ctx.uow.events.record_count(seen=event, count=taken, at=ctx.now):
        return 0  # another worker told the organiser a moment ago
    organiser = await ctx.uow.people.get(person_id=event.created_by)
    await ctx.tell(
        organiser,
        texts.EVENT_DIGEST.format(
            number=event.number,
            title=event.title,
            taken=taken,
            waiting=waiting,
            capacity=texts.EVENT_DIGEST_CAPACITY.format(capacity=event.capacity)
            if event.capacity
            else "",
        ),
    )
    return 1


async def next_event_wake(ctx: Context) -> datetime | None:
    """The next reminder or running count that falls due."""
    wakes = []
    for event in await ctx.uow.events.upcoming(now=ctx.now):
        wakes += [at for _, at in reminder_times(ctx, event) if at > ctx.now]
        if event.reported_at is not None:
            nxt = event.reported_at + timedelta(minutes=ctx.settings.events.digest_minutes)
            if nxt > ctx.now:
                wakes.append(nxt)
    return min(wakes) if wakes else None


async def my_events(ctx: Context) -> list[str]:
    """Lines for 我的: the sender's upcoming events."""
    lines = []
    for event, r in await ctx.uow.events.going_of(person_id=ctx.sender.id, now=ctx.now):
        status = (
            texts.EVENT_MY_GOING.format(people=r.size)
            if r.status == GOING
            else texts.EVENT_MY_WAITLIST.format(position=await _position(ctx, event, r.person_id))
        )
        lines.append(
            texts.EVENT_MY_LINE.format(
                number=event.number,
                title=event.title,
                time=when(ctx, event.starts_at),
                place=event.place,
                status=status,
            )
        )
    return [texts.EVENT_MY_HEADER, *lines] if lines else []


SUBCOMMANDS = {
    "new": new_event,
    "list": list_events,
    "roster": roster,
    "export": export_roster,
    "close": close_event,
    "cancel": cancel_event,
}


async def event_slash(ctx: Context, args: str) -> None:
    """/event new|list|roster|export|close|cancel …"""
    sub, _, rest = args.partition(" ")
    handler = SUBCOMMANDS.get(sub.lower())
    if handler is None:
        raise UserError(texts.EVENT_SUB_USAGE)
    if sub.lower() != "list" and not ctx.sender.has_any(*ORGANISERS):
        raise UserError(texts.NOT_ALLOWED.format(command="/event", roles="工作人员"))
    await handler(ctx, rest.strip())


COMMANDS = (
    Command(
        name="event_new",
        keywords=("发起活动",),
        slash=(),
        handler=new_event,
        summary="发起活动 议事会 12月5日 19:00 党群服务中心 限30人 —— 发布活动",
        usage=texts.EVENT_USAGE,
        roles=ORGANISERS,
        private_only=True,
    ),
    Command(
        name="event",
        keywords=(),
        slash=("event",),
        handler=event_slash,
        summary="",
        english="Events: /event new|list|roster|export|close|cancel",
        usage=texts.EVENT_SUB_USAGE,
    ),
    Command(
        name="events",
        keywords=("活动", "近期活动"),
        slash=("events",),
        handler=list_events,
        summary="活动 —— 近期活动和剩余名额",
        english="Upcoming events",
        usage="活动",
        takes_args=False,
    ),
    Command(
        name="rsvp",
        keywords=("报名",),
        glued=rsvp_glued,
        slash=("rsvp",),
        handler=rsvp,
        summary="报名 E1 / 报名 E1 +2 —— 报名活动（可带家属）",
        english="RSVP: /rsvp E1 +2",
        usage=texts.RSVP_USAGE,
    ),
    Command(
        name="rsvp_cancel",
        keywords=("取消报名",),
        glued=rsvp_glued,
        slash=("rsvp_cancel",),
        handler=cancel_rsvp,
        summary="取消报名 E1 —— 取消活动报名",
        english="Cancel an RSVP",
        usage="取消报名 E1",
    ),
    Command(
        name="roster",
        keywords=("名单",),
        slash=(),
        handler=roster,
        summary="名单 E1 / 导出名单 E1 / 关闭活动 E1 / 取消活动 E1 —— 发起人管理活动",
        usage="名单 E1",
        roles=ORGANISERS,
        private_only=True,
    ),
    Command(
        name="roster_export",
        keywords=("导出名单",),
        slash=(),
        handler=export_roster,
        summary="",
        usage="导出名单 E1",
        roles=ORGANISERS,
        private_only=True,
    ),
    Command(
        name="event_close",
        keywords=("关闭活动",),
        slash=(),
        handler=close_event,
        summary="",
        usage="关闭活动 E1",
        roles=ORGANISERS,
        private_only=True,
    ),
    Command(
        name="event_cancel",
        keywords=("取消活动",),
        slash=(),
        handler=cancel_event,
        summary="",
        usage="取消活动 E1",
        roles=ORGANISERS,
        private_only=True,
    ),
)

CONTINUATIONS = {
    NEW_EVENT: Command(
        name="event_new_step",
        keywords=(),
        slash=(),
        handler=continue_new_event,
        summary="",
        usage=texts.EVENT_USAGE,
    ),
}


FEATURE = Feature(
    name="rsvp",
    commands=COMMANDS,
    continuations=CONTINUATIONS,
    due=(Due(remind, next_event_wake),),
)
