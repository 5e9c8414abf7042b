"""Admin in chat (admins only, private chat only): roles, grid workers, buildings, backups,
leaves — each change in the audit trail and in effect at once for routing."""

from __future__ import annotations

import re

from handlers import texts
from handlers.context import Context, UserError
from handlers.feature import Feature
from handlers.places import find_place
from handlers.registry import Command, Handler
from handlers.when import DayError, day_label, parse_day
from storage.people import Grid, Person

ADMINS = frozenset({"admin"})
_LEAVE = re.compile(r"^(?P<name>\S+?)\s*(?:至|到|until)\s*(?P<day>.+)$")


async def _person(ctx: Context, name: str) -> Person:
    person = await ctx.uow.people.find_by_name(name=name)
    if person is None:
        raise UserError(texts.ADMIN_UNKNOWN_PERSON.format(name=name))
    return person


async def _grid(ctx: Context, name: str) -> Grid:
    grid = await ctx.uow.people.grid_named(name=name)
    if grid is None:
        names = "、".join(g.name for g in await ctx.uow.people.all_grids())
        raise UserError(texts.ADMIN_UNKNOWN_GRID.format(grid=name, grids=names))
    return grid


def _role(word: str) -> str:
    role = texts.ROLE_WORDS.get(word) or (word if word in texts.ROLE_NAMES else None)
    if role is None:
        raise UserError(texts.ADMIN_UNKNOWN_ROLE.format(role=word))
    return role


async def _audit(ctx: Context, action: str, detail: str) -> None:
    await ctx.uow.people.record_change(
        actor_id=ctx.sender.id, action=action, detail=detail, at=ctx.now
    )


def _two(args: str, usage: str) -> tuple[str, str]:
    parts = args.split()
    if len(parts) != 2:
        raise UserError(usage)
    return parts[0], parts[1]


async def _still_holding(ctx: Context, person: Person) -> str:
    """A line naming the open reports a person still holds ("" when none): taken off the
    job, they would wait on someone who can no longer act on them."""
    held = await ctx.uow.reports.active_of_assignee(person_id=person.id)
    if not held:
        return ""
    numbers = "、".join(r.number for r in sorted(held, key=lambda r: r.id))
    return texts.STILL_HOLDING.format(name=person.name, numbers=numbers, first=held[0].number)


async def add_role(ctx: Context, args: str) -> None:
    """设置角色 李四 网格员."""
    name, word = _two(args, texts.ROLE_USAGE)
    person, role = await _person(ctx, name), _role(word)
    label = texts.ROLE_NAMES[role]
    if not await ctx.uow.people.add_role(person_id=person.id, role=role):
        raise UserError(texts.ROLE_ALREADY.format(name=person.name, role=label))
    await _audit(ctx, "role_added", f"{person.name} 成为{label}")
    await ctx.reply(texts.ROLE_ADDED.format(name=person.name, role=label))


async def remove_role(ctx: Context, args: str) -> None:
    """取消角色 李四 网格员."""
    name, word = _two(args, texts.ROLE_USAGE)
    person, role = await _person(ctx, name), _role(word)
    label = texts.ROLE_NAMES[role]
    if person.id == ctx.sender.id and role == "admin":
        raise UserError(texts.ROLE_SELF)
    if not await ctx.uow.people.remove_role(person_id=person.id, role=role):
        raise UserError(texts.ROLE_NOT_HELD.format(name=person.name, role=label))
    if role == "grid_worker":
        for grid in await ctx.uow.people.all_grids():
            await ctx.uow.people.remove_worker(grid_id=grid.id, person_id=person.id)
    await _audit(ctx, "role_removed", f"{person.name} 不再是{label}")
    held = await _still_holding(ctx, person) if role == "grid_worker" else ""
    await ctx.reply(texts.ROLE_REMOVED.format(name=person.name, role=label) + held)


async def join_grid(ctx: Context, args: str) -> None:
    """加入网格 陈刚 第一网格: a grid worker of that grid (given the role if needed)."""
    name, grid_name = _two(args, texts.GRID_USAGE)
    person, grid = await _person(ctx, name), await _grid(ctx, grid_name)
    if not await ctx.uow.people.add_worker(grid_id=grid.id, person_id=person.id):
        raise UserError(texts.GRID_ALREADY.format(name=person.name, grid=grid.name))
    await ctx.uow.people.add_role(person_id=person.id, role="grid_worker")
    await _audit(ctx, "grid_worker_added", f"{person.name} 加入{grid.name}")
    await ctx.reply(texts.GRID_ADDED.format(name=person.name, grid=grid.name))


async def leave_grid(ctx: Context, args: str) -> None:
    """移出网格 陈刚 第一网格."""
    name, grid_name = _two(args, texts.GRID_USAGE)
    person, grid = await _person(ctx, name), await _grid(ctx, grid_name)
    if not await ctx.uow.people.remove_worker(grid_id=grid.id, person_id=person.id):
        raise UserError(texts.GRID_NOT_IN.format(name=person.name, grid=grid.name))
    await _audit(ctx, "grid_worker_removed", f"{person.name} 移出{grid.name}")
    held = await _still_holding(ctx, person)
    await ctx.reply(texts.GRID_REMOVED.format(name=person.name, grid=grid.name) + held)


async def move_building(ctx: Context, args: str) -> None:
    """划转楼栋 5栋 第一网格."""
    building_word, grid_name = _two(args, texts.MOVE_USAGE)
    place = find_place(building_word, ctx.settings.building_aliases)
    if place is None:
        raise UserError(texts.MOVE_USAGE)
    if not await ctx.uow.people.building_exists(name=place.building):
        raise UserError(texts.ADMIN_UNKNOWN_BUILDING.format(building=place.building))
    grid = await _grid(ctx, grid_name)
    old = await ctx.uow.people.grid_of_building(name=place.building)
    await ctx.uow.people.move_building(name=place.building, grid_id=grid.id)
    workers = "、".join(w.name for w in await ctx.uow.people.workers_of_grid(grid_id=grid.id))
    await _audit(
        ctx, "building_moved", f"{place.building} 从{old.name if old else '无网格'}划到{grid.name}"
    )
    await ctx.reply(
        texts.MOVE_DONE.format(
            building=place.building,
            old=old.name if old else "无网格",
            grid=grid.name,
            workers=workers or "社区",
        )
    )


async def set_backup(ctx: Context, args: str) -> None:
    """备岗 第一网格 陈刚: who stands in while the grid's workers are on leave."""
    grid_name, name = _two(args, texts.BACKUP_USAGE)
    grid, person = await _grid(ctx, grid_name), await _person(ctx, name)
    await ctx.uow.people.set_backup(grid_id=grid.id, person_id=person.id)
    await _audit(ctx, "backup_set", f"{grid.name}的备岗为{person.name}")
    await ctx.reply(texts.BACKUP_DONE.format(grid=grid.name, name=person.name))


async def clear_backup(ctx: Context, args: str) -> None:
    """取消备岗 第一网格."""
    grid = await _grid(ctx, args.strip())
    await ctx.uow.people.set_backup(grid_id=grid.id, person_id=None)
    await _audit(ctx, "backup_cleared", f"{grid.name}不再有备岗")
    await ctx.reply(texts.BACKUP_CLEARED.format(grid=grid.name))


async def set_leave(ctx: Context, args: str) -> None:
    """请假 李娜 至 12月8日: until then the grid's backup receives her alerts."""
    m = _LEAVE.match(args.strip())
    if m is None:
        raise UserError(texts.LEAVE_USAGE)
    person = await _person(ctx, m.group("name"))
    if person.roles <= {"resident"}:  # a leave hands someone's alerts on: staff have them
        raise UserError(texts.LEAVE_NOT_STAFF.format(name=person.name))
    try:
        found = parse_day(m.group("day").strip(), ctx.today)
    except DayError as exc:
        raise UserError(str(exc)) from None
    if found is None:
        raise UserError(texts.LEAVE_USAGE)
    until = found[0]
    if until < ctx.today:
        raise UserError(texts.LEAVE_PAST.format(until=day_label(until, ctx.today)))
    await ctx.uow.people.set_leave(person_id=person.id, until=until, by=ctx.sender.id, at=ctx.now)
    grids = [
        g
        for g in await ctx.uow.people.all_grids()
        if any(w.id == person.id for w in await ctx.uow.people.workers_of_grid(grid_id=g.id))
    ]
    backups = [(await ctx.uow.people.get(person_id=g.backup_id)).name for g in grids if g.backup_id]
    names = "、".join(g.name for g in grids) or "—"
    await _audit(ctx, "leave", f"{person.name} 请假至{until.month}月{until.day}日")
    text = texts.LEAVE_DONE.format(name=person.name, until=day_label(until, ctx.today))
    if backups:
        text += texts.LEAVE_BACKUP.format(grids=names, backup="、".join(backups))
    if grids and len(backups) < len(grids):
        text += texts.LEAVE_NO_BACKUP.format(grids=names)
    await ctx.reply(text)


async def end_leave(ctx: Context, args: str) -> None:
    """销假 李娜."""
    person = await _person(ctx, args.strip())
    if not await ctx.uow.people.end_leave(person_id=person.id):
        raise UserError(texts.LEAVE_NONE.format(name=person.name))
    await _audit(ctx, "leave_ended", f"{person.name} 销假")
    await ctx.reply(texts.LEAVE_ENDED.format(name=person.name))


async def show_grids(ctx: Context, args: str) -> None:
    """网格: each grid's buildings, workers and backup."""
    lines = [texts.GRIDS_HEADER]
    for g in await ctx.uow.people.all_grids():
        workers = []
        for w in await ctx.uow.people.workers_of_grid(grid_id=g.id):
            away = await ctx.uow.people.away_until(person_id=w.id, today=ctx.today)
            workers.append(f"{w.name}（请假至{away.month}月{away.day}日）" if away else w.name)
        backup = (await ctx.uow.people.get(person_id=g.backup_id)).name if g.backup_id else "无"
        lines.append(
            texts.GRIDS_LINE.format(
                grid=g.name,
                buildings="、".join(await ctx.uow.people.buildings_of_grid(grid_id=g.id)),
                workers="、".join(workers) or "无",
                backup=backup,
            )
        )
    await ctx.reply("\n".join(lines))


async def show_changes(ctx: Context, args: str) -> None:
    """变更记录: the latest admin changes."""
    changes = await ctx.uow.people.changes(limit=20)
    if not changes:
        await ctx.reply(texts.CHANGES_NONE)
        return
    lines = [texts.CHANGES_HEADER]
    for c in changes:
        who = (await ctx.uow.people.get(person_id=c.actor_id)).name if c.actor_id else "配置文件"
        action = texts.CHANGE_ACTIONS.get(c.action, c.action)
        lines.append(
            texts.CHANGES_LINE.format(time=ctx.fmt(c.at), who=who, action=action, detail=c.detail)
        )
    await ctx.reply("\n".join(lines))


def admin_command(
    name: str, keyword: str, handler: Handler, summary: str, usage: str, takes_args: bool = True
) -> Command:
    """A command for admins, in private chat only."""
    return Command(
        name=name,
        keywords=(keyword,),
        slash=(),
        handler=handler,
        summary=summary,
        usage=usage,
        roles=ADMINS,
        private_only=True,
        takes_args=takes_args,
    )


COMMANDS = (
    admin_command(
        "role_add",
        "设置角色",
        add_role,
        "设置角色 李四 网格员 / 取消角色 李四 网格员",
        texts.ROLE_USAGE,
    ),
    admin_command("role_remove", "取消角色", remove_role, "", texts.ROLE_USAGE),
    admin_command(
        "grid_join", "加入网格", join_grid, "加入网格 陈刚 第一网格 / 移出网格 …", texts.GRID_USAGE
    ),
    admin_command("grid_leave", "移出网格", leave_grid, "", texts.GRID_USAGE),
    admin_command(
        "building_move", "划转楼栋", move_building, "划转楼栋 5栋 第一网格", texts.MOVE_USAGE
    ),
    admin_command(
        "backup",
        "备岗",
        set_backup,
        "备岗 第一网格 陈刚 —— 网格员请假时的备岗人员",
        texts.BACKUP_USAGE,
    ),
    admin_command("backup_clear", "取消备岗", clear_backup, "", texts.BACKUP_USAGE),
    admin_command(
        "leave", "请假", set_leave, "请假 李娜 至 12月8日 / 销假 李娜", texts.LEAVE_USAGE
    ),
    admin_command("leave_end", "销假", end_leave, "", texts.LEAVE_USAGE),
    admin_command(
        "grids", "网格", show_grids, "网格 —— 查看网格、网格员和备岗", "网格", takes_args=False
    ),
    admin_command(
        "changes",
        "变更记录",
        show_changes,
        "变更记录 —— 最近的人员和网格变更",
        "变更记录",
        takes_args=False,
    ),
)


FEATURE = Feature(name="admin", commands=COMMANDS)
