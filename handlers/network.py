"""The 三长 network: each 邻长 looks after 5–15 households, visiting the key ones weekly and
every one quarterly; overdue visits go up to the 组长, then the community; welfare signals."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from handlers import texts
from handlers.admin import admin_command
from handlers.context import Context, UserError
from handlers.feature import Due, Feature
from handlers.meals import sign_up
from handlers.places import find_place
from handlers.registry import Command
from handlers.reports import Draft, file_report
from handlers.understanding.commands import find_word
from storage.households import Household
from storage.people import Person

LEADS = frozenset({"neighbor_lead", "admin"})


def week_start(ctx: Context, at: datetime) -> datetime:
    """Monday 00:00 of the week of `at`, in local time."""
    local = ctx.local(at)
    monday = local.date() - timedelta(days=local.weekday())
    return datetime.combine(monday, time(0), tzinfo=ctx.settings.timezone)


def quarter_start(ctx: Context, at: datetime) -> datetime:
    local = ctx.local(at)
    month = 3 * ((local.month - 1) // 3) + 1
    return datetime(local.year, month, 1, tzinfo=ctx.settings.timezone)


def previous_quarter_start(ctx: Context, at: datetime) -> datetime:
    q = quarter_start(ctx, at)
    return quarter_start(ctx, q - timedelta(days=1))


async def describe(ctx: Context, h: Household) -> tuple[str, str]:
    """The members' names and ', reason' for a household."""
    names = [
        (await ctx.uow.people.get(person_id=p)).name
        for p in await ctx.uow.households.members(household_id=h.id)
    ]
    return "、".join(names) or "—", f"，{h.reason}" if h.reason else ""


async def _line(ctx: Context, h: Household) -> str:
    members, reason = await describe(ctx, h)
    last = await ctx.uow.households.last_visit(household_id=h.id)
    return texts.DUTY_LINE.format(
        address=h.address,
        members=members,
        reason=reason,
        last=texts.DUTY_LAST.format(time=ctx.fmt(last.at)) if last else texts.DUTY_NEVER,
    )


async def duty(ctx: Context, lead: Person) -> tuple[list[Household], list[Household]]:
    """Key households not visited this week; other households not visited this quarter."""
    week = week_start(ctx, ctx.now)
    quarter = quarter_start(ctx, ctx.now)
    key, other = [], []
    for h in await ctx.uow.households.of_lead(lead_id=lead.id):
        if h.key and not await ctx.uow.households.visited_between(
            household_id=h.id, start=week, end=ctx.now + timedelta(seconds=1)
        ):
            key.append(h)
        elif not h.key and not await ctx.uow.households.visited_between(
            household_id=h.id, start=quarter, end=ctx.now + timedelta(seconds=1)
        ):
            other.append(h)
    return key, other


async def duty_text(ctx: Context, lead: Person) -> str:
    key, other = await duty(ctx, lead)
    lines = [texts.DUTY_HEADER.format(name=lead.name)]
    if key:
        lines += [texts.DUTY_KEY, *[await _line(ctx, h) for h in key]]
    if other:
        lines += [texts.DUTY_QUARTER, *[await _line(ctx, h) for h in other]]
    if not key and not other:
        lines.append(texts.DUTY_NONE)
    return "\n".join(lines)


async def show_duty(ctx: Context, args: str) -> None:
    """走访清单: the sender's households still to visit."""
    await ctx.reply(await duty_text(ctx, ctx.sender))


async def log_visit(ctx: Context, args: str) -> None:
    """走访 5栋1单元102 身体好 需要助餐 [上报 … / 报餐 …]: by the household's 邻长."""
    place = find_place(args, ctx.settings.building_aliases)
    if place is None:
        raise UserError(texts.VISIT_USAGE)
    address = place.label
    household = await ctx.uow.households.by_address(address=address)
    if household is None:
        raise UserError(texts.VISIT_UNKNOWN.format(address=address))
    if household.lead_id != ctx.sender.id and not ctx.sender.has_any("admin"):
        lead = (
            (await ctx.uow.people.get(person_id=household.lead_id)).name
            if household.lead_id
            else "无"
        )
        raise UserError(texts.VISIT_NOT_YOURS.format(address=address, lead=lead))
    note = (args[: place.start] + args[place.end :]).strip()
    await ctx.uow.households.log_visit(
        household_id=household.id, by_id=ctx.sender.id, at=ctx.now, note=note or None
    )
    members, reason = await describe(ctx, household)
    lines = [texts.VISIT_DONE.format(address=address, members=members, reason=reason)]
    key, _ = await duty(ctx, ctx.sender)
    lines.append(
        texts.VISIT_LEFT.format(count=len(key), list="、".join(h.address for h in key))
        if key
        else texts.VISIT_ALL_DONE
    )
    await ctx.reply("\n".join(lines))
    await _follow_up(ctx, household, note)


async def _follow_up(ctx: Context, household: Household, note: str) -> None:
    """A visit note that names a report or a meal sign-up becomes one, for the household."""
    member_ids = await ctx.uow.households.members(household_id=household.id)
    if not member_ids:
        return
    elder = await ctx.uow.people.get(person_id=member_ids[0])
    at = find_word(note, "上报")  # a word of its own: 上报纸 in a note is no report
    if at >= 0:
        text = note[at + 2 :].strip()
        place = find_place(text, ctx.settings.building_aliases)
        if place is None:
            place = find_place(household.address, ctx.settings.building_aliases)
            rest = text
        else:
            rest = (text[: place.start] + text[place.end :]).strip()
        if place is not None and rest:
            await file_report(ctx, Draft(elder, place, rest, None), on_behalf=True)
    at = find_word(note, "报餐")
    if at >= 0:
        words = note[at + 2 :]
        if (end := find_word(words, "上报")) >= 0:
            words = words[:end]
        words = words.strip()
        await sign_up(ctx, f"{words} 代 {elder.name}".strip())


async def _tell_chain(ctx: Context, person_id: int, steps: int, text: str) -> None:
    """Tell the person `steps` levels up the chain (1: the 组长, 2: the community)."""
    target: int | None = person_id
    for _ in range(steps):
        target = await ctx.uow.households.leader_of(person_id=target) if target else None
    if target is not None:
        await ctx.tell(await ctx.uow.people.get(person_id=target), text)
    elif steps >= 2:
        for person in await ctx.uow.people.with_role(role="community"):
            await ctx.tell(person, text)


async def _grid_workers(ctx: Context, h: Household) -> list[Person]:
    grid = await ctx.uow.people.grid_of_building(name=h.building)
    return await ctx.uow.people.workers_of_grid(grid_id=grid.id) if grid else []


async def _unvisited(
    ctx: Context, homes: list[Household], start: datetime, end: datetime
) -> list[Household]:
    """Those of `homes` already looked after at `start` that had no visit in [start, end)."""
    return [
        h
        for h in homes
        if h.created_at <= start
        and not await ctx.uow.households.visited_between(household_id=h.id, start=start, end=end)
    ]


async def monday_duty(ctx: Context) -> int:
    """Mondays from 09:00, once: each 邻长's list; last week's and last quarter's misses up."""
    local = ctx.local(ctx.now)
    if local.weekday() != 0 or local.time() < ctx.settings.network.duty_at:
        return 0
    if not await ctx.uow.claims.claim(name=f"duty:{local.date().isoformat()}", at=ctx.now):
        return 0
    this_week = week_start(ctx, ctx.now)
    last_week = this_week - timedelta(days=7)
    two_weeks = this_week - timedelta(days=14)
    new_quarter = quarter_start(ctx, ctx.now) > this_week - timedelta(days=7)
    for lead_id in await ctx.uow.households.leads():
        lead = await ctx.uow.people.get(person_id=lead_id)
        await ctx.tell(lead, await duty_text(ctx, lead))
        homes = await ctx.uow.households.of_lead(lead_id=lead_id)
        # a week counts only if the household was already being looked after then
        missed = await _unvisited(ctx, [h for h in homes if h.key], last_week, this_week)
        twice = await _unvisited(ctx, missed, two_weeks, last_week)
        if missed:
            lines = "\n".join([await _line(ctx, h) for h in missed])
            await _tell_chain(
                ctx, lead_id, 1, texts.DUTY_OVERDUE_UP.format(lead=lead.name, list=lines)
            )
        if twice:
            lines = "\n".join([await _line(ctx, h) for h in twice])
            await _tell_chain(
                ctx, lead_id, 2, texts.DUTY_OVERDUE_TWO.format(lead=lead.name, list=lines)
            )
            for h in twice:  # the welfare signal: a key household unseen for two weeks
                members, reason = await describe(ctx, h)
                notice = texts.WELFARE_NO_VISIT.format(
                    address=h.address, members=members, reason=reason
                )
                for person in [lead, *await _grid_workers(ctx, h)]:
                    await ctx.tell(person, notice)
        if new_quarter:
            start = previous_quarter_start(ctx, ctx.now)
            end = quarter_start(ctx, ctx.now)
            unvisited = await _unvisited(ctx, homes, start, end)
            if unvisited:
                lines = "\n".join([await _line(ctx, h) for h in unvisited])
                await _tell_chain(
                    ctx, lead_id, 1, texts.DUTY_QUARTER_UP.format(lead=lead.name, list=lines)
                )
    return 1


async def meal_welfare(ctx: Context) -> int:
    """Daily from 10:00: an elder who usually signs up for meals and has stopped is flagged."""
    local = ctx.local(ctx.now)
    if local.time() < time(10, 0):
        return 0
    today = local.date()
    if not await ctx.uow.claims.claim(name=f"meal-welfare:{today.isoformat()}", at=ctx.now):
        return 0
    policy = ctx.settings.network
    quiet_from = today - timedelta(days=policy.welfare_meal_days - 1)
    usual_from = quiet_from - timedelta(days=14)
    flagged = 0
    for h in await ctx.uow.households.every():
        for pid in await ctx.uow.households.members(household_id=h.id):
            person = await ctx.uow.people.get(person_id=pid)
            if not (person.elderly or person.lives_alone):
                continue
            days = await _meal_days(ctx, pid, usual_from, today)
            before = [d for d in days if d < quiet_from]
            if len(before) < policy.welfare_meal_min or any(d >= quiet_from for d in days):
                continue
            last = max(before)
            if not await ctx.uow.claims.claim(
                name=f"meal-welfare:{pid}:{last.isoformat()}", at=ctx.now
            ):
                continue  # already flagged for this stop
            notice = texts.WELFARE_NO_MEALS.format(
                name=person.name, address=h.address, days=(today - last).days
            )
            lead = await ctx.uow.people.get(person_id=h.lead_id) if h.lead_id else None
            for target in [*([lead] if lead else []), *await _grid_workers(ctx, h)]:
                await ctx.tell(target, notice)
            flagged += 1
    return flagged


async def _meal_days(ctx: Context, person_id: int, first: date, last: date) -> list[date]:
    signups = await ctx.uow.meals.upcoming_of(person_id=person_id, since=first)
    return sorted({s.day for s in signups if s.day <= last})


async def next_duty_wake(ctx: Context) -> datetime | None:
    """The next Monday duty time."""
    local = ctx.local(ctx.now)
    monday = local.date() + timedelta(days=(7 - local.weekday()) % 7)
    duty_at = datetime.combine(monday, ctx.settings.network.duty_at, tzinfo=ctx.settings.timezone)
    return duty_at if duty_at > ctx.now else duty_at + timedelta(days=7)


async def next_welfare_wake(ctx: Context) -> datetime | None:
    """The next daily welfare look."""
    local = ctx.local(ctx.now)
    welfare = datetime.combine(local.date(), time(10, 0), tzinfo=ctx.settings.timezone)
    return welfare if welfare > ctx.now else welfare + timedelta(days=1)


async def coverage_lines(ctx: Context) -> list[str]:
    """This week's key-household coverage per 邻长 and per grid, for 统计."""
    per_lead, per_grid = await coverage(ctx)
    if not per_lead:
        return []
    return [texts.COVERAGE_HEADER] + [
        texts.COVERAGE_LINE.format(name=name, visited=v, total=t)
        for table in (per_lead, per_grid)
        for name, (v, t) in table.items()
    ]


async def coverage(ctx: Context) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """This week's key households [visited, all], per 邻长 and per grid."""
    week = week_start(ctx, ctx.now)
    per_lead: dict[str, list[int]] = {}
    per_grid: dict[str, list[int]] = {}
    for h in await ctx.uow.households.every():
        if not h.key:
            continue
        seen = await ctx.uow.households.visited_between(
            household_id=h.id, start=week, end=ctx.now + timedelta(seconds=1)
        )
        lead = (await ctx.uow.people.get(person_id=h.lead_id)).name if h.lead_id else "无邻长"
        grid = await ctx.uow.people.grid_of_building(name=h.building)
        for table, name in ((per_lead, lead), (per_grid, grid.name if grid else "未知楼栋")):
            table.setdefault(name, [0, 0])
            table[name][0] += int(seen)
            table[name][1] += 1
    return per_lead, per_grid


async def _household_args(ctx: Context, args: str) -> tuple[str, str, str]:
    place = find_place(args, ctx.settings.building_aliases)
    if place is None or not await ctx.uow.people.building_exists(name=place.building):
        raise UserError(texts.HOUSE_USAGE)
    rest = (args[: place.start] + args[place.end :]).strip()
    return place.label, place.building, rest


async def _change_household(
    ctx: Context,
    address: str,
    building: str,
    *,
    lead_id: int | None = None,
    key: bool | None = None,
    reason: str | None = None,
) -> None:
    h = await ctx.uow.households.by_address(address=address)
    if h is None:  # a mistyped address would make an empty household, counted in votes
        raise UserError(texts.HOUSE_UNKNOWN.format(address=address))
    members = await ctx.uow.households.members(household_id=h.id)
    await ctx.uow.households.upsert(
        address=address,
        building=building,
        key=h.key if key is None else key,
        reason=(reason if key else None) if key is not None else h.reason,
        lead_id=lead_id if lead_id is not None else h.lead_id,
        members=members,
        area=h.area,
        at=h.created_at,
    )
    what = []  # what changed, in words staff read
    if lead_id is not None:
        what.append(f"邻长为{(await ctx.uow.people.get(person_id=lead_id)).name}")
    if key is not None:
        what.append(f"设为重点户（{reason}）" if key else "不再是重点户")
    await ctx.uow.people.record_change(
        actor_id=ctx.sender.id,
        action="household",
        detail=f"{address} {'，'.join(what)}".strip(),
        at=ctx.now,
    )


async def assign_lead(ctx: Context, args: str) -> None:
    """指派邻长 5栋1单元102 孙阿姨 (admins)."""
    address, building, name = await _household_args(ctx, args)
    lead = await ctx.uow.people.find_by_name(name=name)
    if lead is None:
        raise UserError(texts.ADMIN_UNKNOWN_PERSON.format(name=name))
    if not lead.has_any("neighbor_lead"):
        raise UserError(texts.HOUSE_NOT_LEAD.format(name=lead.name))
    await _change_household(ctx, address, building, lead_id=lead.id)
    await ctx.reply(texts.HOUSE_ASSIGNED.format(address=address, lead=lead.name))


async def mark_key(ctx: Context, args: str) -> None:
    """重点户 5栋1单元102 独居老人 (admins)."""
    address, building, reason = await _household_args(ctx, args)
    await _change_household(ctx, address, building, key=True, reason=reason or "重点关注")
    await ctx.reply(texts.HOUSE_KEY.format(address=address, reason=reason or "重点关注"))


async def unmark_key(ctx: Context, args: str) -> None:
    """取消重点户 5栋1单元102 (admins)."""
    address, building, _ = await _household_args(ctx, args)
    await _change_household(ctx, address, building, key=False)
    await ctx.reply(texts.HOUSE_NOT_KEY.format(address=address))


async def set_leader(ctx: Context, args: str) -> None:
    """设置上级 孙阿姨 周组长: a 邻长's 组长, a 组长's community member (admins)."""
    parts = args.split()
    if len(parts) != 2:
        raise UserError(texts.HOUSE_USAGE)
    person = await ctx.uow.people.find_by_name(name=parts[0])
    leader = await ctx.uow.people.find_by_name(name=parts[1])
    for name, found in zip(parts, (person, leader), strict=True):
        if found is None:
            raise UserError(texts.ADMIN_UNKNOWN_PERSON.format(name=name))
    assert person is not None and leader is not None
    chain, seen = [person.name], set()
    up: Person | None = leader
    while up is not None and up.id not in seen:  # the chain above must not reach the person
        chain.append(up.name)
        if up.id == person.id:
            raise UserError(texts.LEADER_CYCLE.format(chain=" → ".join(chain)))
        seen.add(up.id)
        above = await ctx.uow.households.leader_of(person_id=up.id)
        up = None if above is None else await ctx.uow.people.get(person_id=above)
    await ctx.uow.households.set_leader(person_id=person.id, leader_id=leader.id)
    await ctx.uow.people.record_change(
        actor_id=ctx.sender.id,
        action="leader",
        detail=f"{person.name}的上级为{leader.name}",
        at=ctx.now,
    )
    await ctx.reply(texts.LEADER_SET.format(name=person.name, leader=leader.name))


COMMANDS = (
    admin_command(
        "house_lead",
        "指派邻长",
        assign_lead,
        "指派邻长 5栋1单元102 孙阿姨 / 重点户 … / 设置上级 孙阿姨 周组长",
        texts.HOUSE_USAGE,
    ),
    admin_command("house_key", "重点户", mark_key, "", texts.HOUSE_USAGE),
    admin_command("house_unkey", "取消重点户", unmark_key, "", texts.HOUSE_USAGE),
    admin_command("leader", "设置上级", set_leader, "", texts.HOUSE_USAGE),
    Command(
        name="visit",
        keywords=("走访",),
        slash=("visit",),
        handler=log_visit,
        summary="走访 5栋1单元102 情况 —— 邻长记录走访（可写 上报…/报餐… 直接代办）",
        english="Log a household visit: /visit 5栋1单元102 note",
        usage=texts.VISIT_USAGE,
        roles=LEADS,
        private_only=True,
    ),
    Command(
        name="visit_list",
        keywords=("走访清单",),
        slash=("visits",),
        handler=show_duty,
        summary="走访清单 —— 本周还要走访的住户",
        english="Households still to visit",
        usage="走访清单",
        roles=LEADS,
        private_only=True,
        takes_args=False,
    ),
)


FEATURE = Feature(
    name="network",
    commands=COMMANDS,
    due=(Due(monday_duty, next_duty_wake), Due(meal_welfare, next_welfare_wake)),
)
