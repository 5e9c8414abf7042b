"""Hazard reports (隐患上报): file, route to the grid worker, acknowledge, resolve, escalate."""

from __future__ import annotations

import re
from datetime import timedelta

from handlers import texts
from handlers.chat import Button
from handlers.context import Category, Context, UserError
from handlers.places import find_place, without
from handlers.registry import Command
from storage import NotFound
from storage.people import Person
from storage.reports import ACKNOWLEDGED, OPEN, RESOLVED, Report

OTHER = "其他"
LEVELS = 3  # grid worker → community → branch
_NUMBER = re.compile(r"^[Hh]?(\d{1,9})\b\s*(.*)$", re.S)
OVERSEERS = ("community", "branch", "admin")


def categorize(ctx: Context, text: str) -> Category:
    """The first category whose keyword appears in text, else 其他."""
    for category in ctx.settings.reports.categories:
        if any(word in text for word in category.keywords):
            return category
    return Category(OTHER, ())


def urgency(ctx: Context, text: str) -> str | None:
    """'fire', 'gas' or None, from the safety words in text."""
    policy = ctx.settings.reports
    if any(word in text for word in policy.urgent_gas_words):
        return "gas"
    if any(word in text for word in policy.urgent_fire_words):
        return "fire"
    return None


async def responders(ctx: Context, *, level: int, building: str | None) -> list[Person]:
    """Who answers for a building at an escalation level (0 grid, 1 community, 2 branch)."""
    people = ctx.uow.people
    if level == 0:
        grid = await people.grid_of_building(name=building) if building else None
        return await people.workers_of_grid(grid_id=grid.id) if grid else []
    return await people.with_role(role="community" if level == 1 else "branch")


async def first_responders(ctx: Context, building: str | None) -> tuple[int, list[Person]]:
    """The lowest level that has anyone for this building, and those people."""
    for level in range(LEVELS):
        found = await responders(ctx, level=level, building=building)
        if found:
            return level, found
    return LEVELS - 1, []


def ack_minutes(ctx: Context, category: Category, urgent: bool) -> int:
    policy = ctx.settings.reports
    if urgent:
        return policy.urgent_ack_minutes
    return category.ack_minutes or policy.ack_minutes


def resolve_hours(ctx: Context, category_name: str) -> int:
    policy = ctx.settings.reports
    for category in policy.categories:
        if category.name == category_name and category.resolve_hours:
            return category.resolve_hours
    return policy.resolve_hours


async def alert_text(ctx: Context, report: Report) -> str:
    """The private alert a responder receives, with the reporter's details."""
    reporter = await ctx.uow.people.get(person_id=report.reporter_id)
    text = texts.ALERT.format(
        number=report.number,
        urgent=texts.ALERT_URGENT_MARK if report.urgent else "",
        place=report.place,
        category=report.category,
        text=report.text,
        reporter=reporter.name,
        address=f"（{reporter.address}）" if reporter.address else "",
        time=ctx.fmt(report.created_at),
        deadline=ctx.fmt(report.ack_due) if report.ack_due else "",
    )
    if not report.known_building and report.building:
        text += texts.ALERT_UNKNOWN_BUILDING.format(building=report.building)
    return text


def ticket_buttons(report: Report) -> list[Button]:
    number = report.number
    buttons = [Button(texts.RESOLVE_BUTTON.format(number=number), f"办结 {number}")]
    if report.status == OPEN:
        buttons.insert(0, Button(texts.ACK_BUTTON.format(number=number), f"接单 {number}"))
    return buttons


async def report(ctx: Context, args: str) -> None:
    """上报 3栋 楼道飞线充电: file a report and alert whoever answers for the building."""
    msg = ctx.incoming
    assert msg is not None
    if not args:
        raise UserError(texts.REPORT_USAGE)
    place = find_place(args, ctx.settings.building_aliases)
    if place is None:
        raise UserError(texts.REPORT_NEED_BUILDING.format(text=args))
    description = without(args, place)
    if not description:
        raise UserError(texts.REPORT_NEED_TEXT.format(place=place.label))

    known = await ctx.uow.people.building_exists(name=place.building)
    category = categorize(ctx, description)
    danger = urgency(ctx, description)
    if known:
        level, chain = await first_responders(ctx, place.building)
    else:
        level = 1
        chain = await responders(ctx, level=1, building=None)
        if not chain:
            level, chain = 2, await responders(ctx, level=2, building=None)
    filed = await ctx.uow.reports.file(
        reporter_id=ctx.sender.id,
        building=place.building,
        known_building=known,
        unit=place.unit,
        room=place.room,
        text=description,
        category=category.name,
        urgent=danger is not None,
        assignee_id=chain[0].id if chain else None,
        level=level,
        origin_platform=msg.platform,
        origin_chat=msg.chat_id,
        photo=msg.attachments[0] if msg.attachments else None,
        at=ctx.now,
        ack_due=ctx.now + timedelta(minutes=ack_minutes(ctx, category, danger is not None)),
    )

    # who is alerted: the responders of the level, and for an urgent report every level above
    alerted: list[Person] = list(chain)
    if danger:
        for upper in range(level + 1, LEVELS):
            alerted += [
                p for p in await responders(ctx, level=upper, building=None) if p not in alerted
            ]
    body = await alert_text(ctx, filed)
    unreachable = [
        p.name
        for p in alerted
        if not await ctx.tell(p, body, ticket_buttons(filed), photo=filed.photo)
    ]

    handler_names = "、".join(p.name for p in chain) or texts.LEVEL_NAMES[level]
    if known:
        handler = f"{texts.LEVEL_NAMES[level]}{handler_names}" if level else handler_names
        if level == 0:
            grid = await ctx.uow.people.grid_of_building(name=place.building)
            handler = f"{grid.name if grid else ''}网格员{handler_names}"
        answer = texts.REPORT_FILED.format(
            number=filed.number, place=place.building, text=description, handler=handler
        )
    else:
        answer = texts.REPORT_FILED_UNKNOWN_BUILDING.format(
            number=filed.number,
            text=description,
            building=place.building,
            handler=handler_names,
        )
    policy = ctx.settings.reports
    if danger == "fire":
        answer = texts.REPORT_URGENT_FIRE.format(line=policy.fire_line) + "\n" + answer
    elif danger == "gas":
        answer = texts.REPORT_URGENT_GAS.format(line=policy.gas_line) + "\n" + answer
    for name in unreachable:
        answer += texts.REPORT_UNREACHABLE.format(name=name)
    await ctx.reply(answer)


async def _ticket(ctx: Context, args: str, verb: str) -> tuple[Report, str]:
    m = _NUMBER.match(args.strip())
    if not m:
        raise UserError(texts.TICKET_USAGE.format(verb=verb))
    number = f"H{int(m.group(1))}"
    try:
        found = await ctx.uow.reports.get(report_id=int(m.group(1)))
    except NotFound:
        raise UserError(texts.NO_SUCH_REPORT.format(number=number)) from None
    return found, m.group(2).strip()


async def may_act(ctx: Context, found: Report) -> bool:
    """The assignee, a grid worker of the building's grid, or anyone above may act on it."""
    person = ctx.sender
    if found.assignee_id == person.id or person.has_any(*OVERSEERS):
        return True
    if found.building and person.has_any("grid_worker"):
        grid_workers = await responders(ctx, level=0, building=found.building)
        return any(w.id == person.id for w in grid_workers)
    return False


async def acknowledge(ctx: Context, args: str) -> None:
    """接单 H1: the responder takes the report; its reporter is told."""
    found, _ = await _ticket(ctx, args, "接单")
    if not await may_act(ctx, found):
        raise UserError(texts.NOT_YOUR_REPORT.format(number=found.number))
    if found.status == RESOLVED:
        raise UserError(texts.ALREADY_RESOLVED.format(number=found.number))
    if found.status == ACKNOWLEDGED:
        raise UserError(texts.ALREADY_ACKED.format(number=found.number))
    due = ctx.now + timedelta(hours=resolve_hours(ctx, found.category))
    updated = await ctx.uow.reports.update(
        report_id=found.id,
        status=ACKNOWLEDGED,
        assignee_id=ctx.sender.id,
        acknowledged_at=ctx.now,
        resolve_due=due,
    )
    await ctx.uow.reports.add_event(
        report_id=found.id, kind="acknowledged", actor_id=ctx.sender.id, at=ctx.now, note=None
    )
    await ctx.reply(
        texts.ACKED_WORKER.format(number=found.number, deadline=ctx.fmt(due)),
        ticket_buttons(updated),
    )
    reporter = await ctx.uow.people.get(person_id=found.reporter_id)
    if reporter.id != ctx.sender.id:
        await ctx.tell(
            reporter,
            texts.ACKED_REPORTER.format(
                number=found.number, place=found.place, text=found.text, worker=ctx.sender.name
            ),
        )


async def resolve(ctx: Context, args: str) -> None:
    """办结 H1 已清理: the report is resolved; its reporter is told with the note."""
    if not args:
        raise UserError(texts.RESOLVE_USAGE)
    found, note = await _ticket(ctx, args, "办结")
    if not await may_act(ctx, found):
        raise UserError(texts.NOT_YOUR_REPORT.format(number=found.number))
    if found.status == RESOLVED:
        raise UserError(texts.ALREADY_RESOLVED.format(number=found.number))
    await ctx.uow.reports.update(
        report_id=found.id,
        status=RESOLVED,
        assignee_id=found.assignee_id or ctx.sender.id,
        acknowledged_at=found.acknowledged_at or ctx.now,
        resolved_at=ctx.now,
        resolution=note or None,
    )
    await ctx.uow.reports.add_event(
        report_id=found.id, kind="resolved", actor_id=ctx.sender.id, at=ctx.now, note=note or None
    )
    await ctx.reply(texts.RESOLVED_WORKER.format(number=found.number))
    reporter = await ctx.uow.people.get(person_id=found.reporter_id)
    if reporter.id != ctx.sender.id:
        await ctx.tell(
            reporter,
            texts.RESOLVED_REPORTER.format(
                number=found.number, place=found.place, text=found.text, note=note or texts.NO_NOTE
            ),
        )


async def status_text(ctx: Context, found: Report) -> str:
    if found.status == OPEN:
        return texts.STATUS_OPEN
    if found.status == ACKNOWLEDGED and found.assignee_id is not None:
        worker = await ctx.uow.people.get(person_id=found.assignee_id)
        return texts.STATUS_ACKED.format(worker=worker.name)
    return texts.STATUS_RESOLVED


async def my_reports(ctx: Context) -> list[str]:
    """Lines for 我的: the sender's reports not yet resolved."""
    found = await ctx.uow.reports.active_of_reporter(person_id=ctx.sender.id)
    return [
        texts.MY_LINE.format(
            number=r.number, place=r.place, text=r.text, status=await status_text(ctx, r)
        )
        for r in found
    ]


async def my(ctx: Context, args: str) -> None:
    """我的: what the sender has open."""
    lines = await my_reports(ctx)
    await ctx.reply("\n".join([texts.MY_HEADER, *lines]) if lines else texts.MY_NONE)


async def tickets(ctx: Context, args: str) -> None:
    """工单: a worker's open tickets with their deadlines."""
    found = await ctx.uow.reports.active_of_assignee(person_id=ctx.sender.id)
    if not found:
        await ctx.reply(texts.TICKETS_NONE)
        return
    lines = [texts.TICKETS_HEADER]
    for r in found:
        if r.status == OPEN and r.ack_due:
            due = texts.DUE_ACK.format(time=ctx.fmt(r.ack_due))
        else:
            due = texts.DUE_RESOLVE.format(time=ctx.fmt(r.resolve_due)) if r.resolve_due else ""
        lines.append(
            texts.TICKET_LINE.format(
                number=r.number,
                place=r.place,
                text=r.text,
                status=await status_text(ctx, r),
                due=due,
            )
        )
    await ctx.reply("\n".join(lines))


async def escalate_due(ctx: Context) -> int:
    """Hand every report not acknowledged in time to the next level; returns how many."""
    moved = 0
    for found in await ctx.uow.reports.unacknowledged_due(now=ctx.now):
        if found.level >= LEVELS - 1:
            continue
        level = found.level + 1
        chain = await responders(ctx, level=level, building=found.building)
        if not chain and level + 1 < LEVELS:
            level += 1
            chain = await responders(ctx, level=level, building=found.building)
        if not chain:
            continue
        category = Category(found.category, ())
        updated = await ctx.uow.reports.update(
            report_id=found.id,
            level=level,
            assignee_id=chain[0].id,
            ack_due=ctx.now + timedelta(minutes=ack_minutes(ctx, category, found.urgent)),
        )
        await ctx.uow.reports.add_event(
            report_id=found.id,
            kind="escalated",
            actor_id=None,
            at=ctx.now,
            note=texts.LEVEL_NAMES[level],
        )
        body = texts.ESCALATED_UP.format(
            number=found.number,
            deadline=ctx.fmt(found.ack_due) if found.ack_due else "",
            alert=await alert_text(ctx, updated),
        )
        for person in chain:
            await ctx.tell(person, body, ticket_buttons(updated))
        previous = await responders(ctx, level=found.level, building=found.building)
        notice = texts.ESCALATED_DOWN.format(
            number=found.number,
            level=texts.LEVEL_NAMES[level],
            who="、".join(p.name for p in chain),
        )
        for person in previous:
            if person not in chain:
                await ctx.tell(person, notice, ticket_buttons(updated))
        moved += 1
    return moved


WORKERS = frozenset({"grid_worker", "community", "branch", "admin", "property", "neighbor_lead"})

COMMANDS = (
    Command(
        name="report",
        keywords=("上报", "隐患", "报告隐患"),
        slash=("report",),
        handler=report,
        summary="上报 3栋 楼道飞线充电 —— 上报安全隐患",
        usage=texts.REPORT_USAGE,
    ),
    Command(
        name="acknowledge",
        keywords=("接单",),
        slash=("ack",),
        handler=acknowledge,
        summary="接单 H1 —— 接下工单",
        usage=texts.TICKET_USAGE.format(verb="接单"),
        roles=WORKERS,
    ),
    Command(
        name="resolve",
        keywords=("办结",),
        slash=("resolve",),
        handler=resolve,
        summary="办结 H1 处理说明 —— 办结工单并告知上报人",
        usage=texts.RESOLVE_USAGE,
        roles=WORKERS,
    ),
    Command(
        name="tickets",
        keywords=("工单",),
        slash=("tickets",),
        handler=tickets,
        summary="工单 —— 查看我的待办工单",
        usage="工单",
        roles=WORKERS,
        takes_args=False,
    ),
    Command(
        name="my",
        keywords=("我的",),
        slash=("my",),
        handler=my,
        summary="我的 —— 查看我未办结的上报",
        usage="我的",
        takes_args=False,
    ),
)
