"""The community canteen (长者食堂 / 助餐): menus, sign-ups before a cutoff, the kitchen's
summary and the grid workers' delivery lists at the cutoff, exports."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from handlers import texts
from handlers.chat import Button
from handlers.context import Context, UserError
from handlers.exports import export_path, write_table
from handlers.feature import Due, Feature
from handlers.places import find_place
from handlers.registry import Command
from handlers.understanding import MealSlots, SlotError, parse_meal
from handlers.understanding.slots import MEAL_WORDS
from handlers.when import DayError, day_label, parse_day
from storage.meals import MealSignup
from storage.people import Person

MEALS = ("lunch", "dinner")
KITCHEN = frozenset({"canteen", "admin", "community"})
_MEAL = re.compile("^(" + "|".join(sorted(MEAL_WORDS, key=len, reverse=True)) + ")")
# what may follow 报餐 with no space: a day, a meal, portions, a mode, 代 NAME
MEAL_START = re.compile(
    r"^(?:今|明|后|大后|周|星期|礼拜|下周|下下周|\d|[一两二三四五六七八九十]+[份个人位]|"
    r"早|午|中午|中餐|中饭|晚|夜宵|宵夜|送|堂食|到店|代|帮|备注)"
)
EXPORT_HEADERS = ("日期", "餐次", "楼栋", "姓名", "住址", "份数", "方式", "备注", "代报人")


@dataclass(frozen=True)
class MealRequest:
    day: date
    meal: str
    portions: int | None  # None: not said (a new sign-up is 1份, a change keeps its number)
    delivery: bool | None
    diner: Person
    note: str
    said_when: bool = True  # False: neither a day nor a meal was written (the defaults)


def meal_name(meal: str) -> str:
    return texts.MEAL_NAMES[meal]


def cutoff_of(ctx: Context, day: date, meal: str) -> datetime:
    """When sign-ups for a meal close, in the community's time zone."""
    return datetime.combine(day, ctx.settings.canteen.cutoff(meal), tzinfo=ctx.settings.timezone)


def default_day(ctx: Context, meal: str) -> date:
    """Today while its cutoff has not passed, else tomorrow."""
    today = ctx.today
    return today if ctx.now < cutoff_of(ctx, today, meal) else today + timedelta(days=1)


async def _find_person(ctx: Context, name: str) -> tuple[Person, str]:
    """The person named at the start of `name` (full token first, then the longest prefix)."""
    person = await ctx.uow.people.find_by_name(name=name)
    if person is not None:
        return person, ""
    for cut in range(len(name) - 1, 1, -1):
        person = await ctx.uow.people.find_by_name(name=name[:cut])
        if person is not None:
            return person, name[cut:]
    raise UserError(texts.MEAL_UNKNOWN_PERSON.format(name=name))


def _slots(ctx: Context, args: str, usage: str) -> MealSlots:
    try:
        return parse_meal(args, ctx.today)
    except SlotError as exc:
        raise UserError(texts.MEAL_NOT_UNDERSTOOD.format(error=exc, usage=usage)) from None


# who may book or cancel another person's meal: staff and 邻长, or someone of their household
PROXY_ROLES = (
    "neighbor_lead",
    "group_lead",
    "volunteer",
    "grid_worker",
    "community",
    "branch",
    "canteen",
    "admin",
)


async def _may_book_for(ctx: Context, diner: Person) -> bool:
    """Whether the sender may sign up (or cancel) for `diner`: not any resident, else anyone
    could change what an elder's 邻长 booked for them."""
    if diner.id == ctx.sender.id or ctx.sender.has_any(*PROXY_ROLES):
        return True
    mine = await ctx.uow.households.of_person(person_id=ctx.sender.id)
    theirs = await ctx.uow.households.of_person(person_id=diner.id)
    return mine is not None and theirs is not None and mine.id == theirs.id


async def parse_request(ctx: Context, args: str, *, usage: str) -> MealRequest:
    """报餐's words in any order (the understanding layer's slots); the diner looked up."""
    slots = _slots(ctx, args, usage)
    diner = ctx.sender
    if slots.proxy:
        diner, leftover = await _find_person(ctx, slots.proxy)
        if leftover:  # 代郭先德送餐: the name ran into the next word
            slots = _slots(ctx, args.replace(slots.proxy, f"{diner.name} {leftover}", 1), usage)
        if not await _may_book_for(ctx, diner):
            raise UserError(texts.MEAL_NOT_FOR_OTHERS.format(name=diner.name))
    meal = slots.meal or "lunch"
    return MealRequest(
        day=slots.day or default_day(ctx, meal),
        meal=meal,
        portions=slots.portions,
        delivery=slots.delivery,
        diner=diner,
        note=slots.note,
        said_when=slots.day is not None or slots.meal is not None,
    )


def meal_glued(rest: str) -> bool:
    """报餐明天午餐 is a sign-up; 报餐的人好多 is talk."""
    return MEAL_START.match(rest) is not None


def check_window(ctx: Context, day: date, meal: str) -> None:
    """Refuse a day in the past, past its cutoff, or too far ahead."""
    label = day_label(day, ctx.today)
    if day < ctx.today:
        raise UserError(texts.MEAL_PAST_DAY.format(day=label))
    cutoff = cutoff_of(ctx, day, meal)
    if ctx.now >= cutoff:
        raise UserError(
            texts.MEAL_PAST_CUTOFF.format(day=label, meal=meal_name(meal), cutoff=ctx.fmt(cutoff))
        )
    ahead = ctx.settings.canteen.days_ahead
    if day > ctx.today + timedelta(days=ahead):
        last = ctx.today + timedelta(days=ahead)
        raise UserError(texts.MEAL_TOO_FAR.format(days=ahead, last=day_label(last, ctx.today)))


async def menu_of(ctx: Context, day: date, meal: str) -> str | None:
    """The menu set in chat for that meal, else the weekly table of the config."""
    set_in_chat = await ctx.uow.meals.menus_between(first=day, last=day)
    return set_in_chat.get((day, meal)) or ctx.settings.canteen.weekly_menu(day, meal)


def price_of(ctx: Context, person: Person) -> str:
    if person.birth_year is None:
        return ""
    age = ctx.today.year - person.birth_year
    for tier in ctx.settings.canteen.price_tiers:
        if tier.min_age <= age <= tier.max_age:
            if ctx.in_group:  # an elder's age band is theirs, not the group's
                return texts.MEAL_PRICE_ONLY.format(price=tier.price)
            return texts.MEAL_PRICE.format(price=tier.price, tier=tier.label)
    return ""


def _who(ctx: Context, diner: Person) -> str:
    return (
        texts.MEAL_FOR_SELF
        if diner.id == ctx.sender.id
        else texts.MEAL_FOR_OTHER.format(name=diner.name)
    )


def _cancel_words(ctx: Context, signup: MealSignup, diner: Person) -> str:
    day = signup.day
    word = {0: "今天", 1: "明天", 2: "后天"}.get(
        (day - ctx.today).days
    ) or f"{day.month}月{day.day}日"
    proxy = f" 代 {diner.name}" if diner.id != ctx.sender.id else ""
    return f"取消报餐 {word} {meal_name(signup.meal)}{proxy}"


def choice_buttons(ctx: Context, signup: MealSignup, diner: Person, cancel: str) -> list[Button]:
    """The same choices as typing: cancel, switch dine-in/delivery, one more portion."""
    base = cancel.removeprefix("取消")  # 报餐 明天 午餐 [代 NAME]
    buttons = [Button(texts.MEAL_CANCEL_BUTTON, cancel)]
    if diner.address:
        switch = "堂食" if signup.delivery else "送餐"
        buttons.append(Button(f"改为{switch}", f"{base} {signup.portions}份 {switch}"))
    if signup.portions < ctx.settings.canteen.max_portions:
        buttons.append(Button(f"改为{signup.portions + 1}份", f"{base} {signup.portions + 1}份"))
    return buttons


async def sign_up(ctx: Context, args: str) -> None:
    """报餐 明天 午餐 2份 送餐 少盐 [代 郭先德]: a meal for oneself or for an elder."""
    req = await parse_request(ctx, args, usage=texts.MEAL_USAGE)
    canteen = ctx.settings.canteen
    check_window(ctx, req.day, req.meal)
    existing = await ctx.uow.meals.signup_of(person_id=req.diner.id, day=req.day, meal=req.meal)
    if req.portions is None:  # 报餐 明天 中午 again after 2份: still 2份, not silently 1
        active = existing is not None and existing.status == "active"
        req = replace(req, portions=existing.portions if active and existing else 1)
    assert req.portions is not None
    if not 1 <= req.portions <= canteen.max_portions:
        raise UserError(texts.MEAL_PORTIONS.format(max=canteen.max_portions))
    delivery = req.delivery
    if delivery is None:
        delivery = existing.delivery if existing and existing.status == "active" else False
    if delivery and not req.diner.address:
        if req.diner.id == ctx.sender.id:
            raise UserError(texts.MEAL_NO_ADDRESS_SELF)
        raise UserError(texts.MEAL_NO_ADDRESS_OTHER.format(name=req.diner.name))
    capacity = canteen.capacity(req.meal)
    label = day_label(req.day, ctx.today)
    if capacity is not None:
        taken = await ctx.uow.meals.portions(day=req.day, meal=req.meal, excluding=req.diner.id)
        if taken + req.portions > capacity:
            raise UserError(
                (texts.MEAL_FULL if taken < capacity else texts.MEAL_SOLD_OUT).format(
                    day=label,
                    meal=meal_name(req.meal),
                    left=max(0, capacity - taken),
                    capacity=capacity,
                )
            )
    note = req.note or (existing.note if existing and not req.note else None) or None
    signup = await ctx.uow.meals.sign_up(
        person_id=req.diner.id,
        day=req.day,
        meal=req.meal,
        portions=req.portions,
        delivery=delivery,
        note=note,
        signed_by=ctx.sender.id,
        at=ctx.now,
    )
    menu = await menu_of(ctx, req.day, req.meal)
    updated = existing is not None and existing.status == "active"
    cancel = _cancel_words(ctx, signup, req.diner)
    text = texts.MEAL_SIGNED.format(
        who=(texts.MEAL_SIGNED_UPDATED if updated else "") + _who(ctx, req.diner),
        day=label,
        meal=meal_name(req.meal),
        portions=req.portions,
        mode=texts.MEAL_MODE[delivery],
        note=texts.MEAL_NOTE.format(note=note) if note else "",
        menu=texts.MEAL_MENU.format(items=menu) if menu else "",
        price=price_of(ctx, req.diner),
        cutoff=ctx.fmt(cutoff_of(ctx, req.day, req.meal)),
        cancel=cancel,
    )
    await ctx.reply(text, choice_buttons(ctx, signup, req.diner, cancel))
    if req.diner.id != ctx.sender.id:
        await ctx.tell(
            req.diner,
            texts.MEAL_TOLD_DINER.format(
                signer=ctx.sender.name,
                day=label,
                meal=meal_name(req.meal),
                portions=req.portions,
                mode=texts.MEAL_MODE[delivery],
                note=texts.MEAL_NOTE.format(note=note) if note else "",
            ),
        )


async def cancel(ctx: Context, args: str) -> None:
    """取消报餐 [明天] [午餐] [代 郭先德]: before the cutoff only."""
    req = await parse_request(ctx, args, usage=texts.MEAL_CANCEL_USAGE)
    if not req.said_when:  # a bare 取消报餐 with several meals booked: ask, do not pick one
        booked = [
            s
            for s in await ctx.uow.meals.upcoming_of(person_id=req.diner.id, since=ctx.today)
            if s.status == "active"
        ]
        if len(booked) > 1:
            listed = "、".join(
                f"{day_label(s.day, ctx.today)}{meal_name(s.meal)}" for s in booked[:6]
            )
            raise UserError(texts.MEAL_CANCEL_WHICH.format(meals=listed))
        if len(booked) == 1:  # the one meal booked is the one meant
            req = replace(req, day=booked[0].day, meal=booked[0].meal)
    label = day_label(req.day, ctx.today)
    existing = await ctx.uow.meals.signup_of(person_id=req.diner.id, day=req.day, meal=req.meal)
    who = "" if req.diner.id == ctx.sender.id else req.diner.name
    nothing = texts.MEAL_NOTHING_TO_CANCEL.format(
        who=who or "您", day=label, meal=meal_name(req.meal)
    )
    if existing is None or existing.status != "active":
        raise UserError(nothing)
    check_window(ctx, req.day, req.meal)
    if not await ctx.uow.meals.cancel(signup_id=existing.id, at=ctx.now):
        raise UserError(nothing)  # cancelled a moment ago (by the diner, or for them)
    await ctx.reply(
        texts.MEAL_CANCELLED.format(
            who=who,
            day=label,
            meal=meal_name(req.meal),
        )
    )


async def show_menu(ctx: Context, args: str) -> None:
    """菜单: the menu of the next seven days, cutoffs and prices."""
    canteen = ctx.settings.canteen
    days = [ctx.today + timedelta(days=i) for i in range(7)]
    chat_menus = await ctx.uow.meals.menus_between(first=days[0], last=days[-1])
    lines = []
    for day in days:
        for meal in MEALS:
            items = chat_menus.get((day, meal)) or canteen.weekly_menu(day, meal)
            if items:
                lines.append(
                    texts.MENU_LINE.format(
                        day=day_label(day, ctx.today), meal=meal_name(meal), items=items
                    )
                )
    head = texts.MENU_HEADER.format(community=ctx.settings.community.name)
    body = lines or [texts.MENU_NONE]
    tail = [
        texts.MENU_CUTOFFS.format(
            lunch=f"{canteen.lunch_cutoff:%H:%M}", dinner=f"{canteen.dinner_cutoff:%H:%M}"
        )
    ]
    if canteen.price_tiers:
        tail.append(
            texts.MENU_PRICES.format(
                tiers="；".join(f"{t.label} {t.price}" for t in canteen.price_tiers)
            )
        )
    await ctx.reply("\n".join([head, *body, *tail]))


async def set_menu(ctx: Context, args: str) -> None:
    """设置菜单 12月1日 午餐 红烧鱼 青菜 米饭 12元 (the canteen and admins)."""
    rest = args.strip()
    try:
        found = parse_day(rest, ctx.today)
    except DayError as exc:
        raise UserError(texts.MEAL_DAY_ERROR.format(error=exc)) from None
    if found is None:
        raise UserError(texts.MENU_SET_USAGE)
    day, used = found
    rest = rest[used:].strip()
    m = _MEAL.match(rest)
    if m is None:
        raise UserError(texts.MENU_SET_USAGE)
    meal = MEAL_WORDS[m.group(1)]
    items = rest[m.end() :].strip()
    if not items:
        raise UserError(texts.MENU_SET_USAGE)
    if day < ctx.today:
        raise UserError(texts.MENU_PAST_DAY.format(day=day_label(day, ctx.today)))
    await ctx.uow.meals.set_menu(day=day, meal=meal, items=items, by=ctx.sender.id, at=ctx.now)
    await ctx.reply(
        texts.MENU_SET_DONE.format(day=day_label(day, ctx.today), meal=meal_name(meal), items=items)
    )


@dataclass(frozen=True)
class SummaryRow:
    building: str
    name: str
    address: str
    portions: int
    delivery: bool
    note: str
    proxy: str


async def summary_rows(ctx: Context, day: date, meal: str) -> list[SummaryRow]:
    """Every active sign-up of a meal as the kitchen reads it: by building, then name."""
    rows = []
    for s in await ctx.uow.meals.signups(day=day, meal=meal):
        diner = await ctx.uow.people.get(person_id=s.person_id)
        place = find_place(diner.address or "", ctx.settings.building_aliases)
        proxy = ""
        if s.signed_by != s.person_id:
            proxy = (await ctx.uow.people.get(person_id=s.signed_by)).name
        rows.append(
            SummaryRow(
                building=place.building if place else texts.MEAL_SUMMARY_NO_ADDRESS,
                name=diner.name,
                address=diner.address or texts.MEAL_SUMMARY_NO_ADDRESS,
                portions=s.portions,
                delivery=s.delivery,
                note=s.note or "",
                proxy=proxy,
            )
        )
    return sorted(rows, key=lambda r: (_building_order(r.building), r.name))


def _building_order(name: str) -> tuple[int, str]:
    digits = re.match(r"\d+", name)
    return (int(digits.group()) if digits else 10_000, name)


def _lines(rows: list[SummaryRow]) -> list[str]:
    out = []
    by_building: dict[str, list[SummaryRow]] = defaultdict(list)
    for r in rows:
        by_building[r.building].append(r)
    for building, group in by_building.items():
        out.append(texts.MEAL_SUMMARY_BUILDING.format(building=building))
        out += [
            texts.MEAL_SUMMARY_LINE.format(
                name=r.name,
                address=r.address,
                portions=r.portions,
                note=f" {r.note}" if r.note else "",
                proxy=texts.MEAL_SUMMARY_PROXY.format(name=r.proxy) if r.proxy else "",
            )
            for r in group
        ]
    return out


def summary_text(ctx: Context, day: date, meal: str, rows: list[SummaryRow]) -> str:
    deliver = [r for r in rows if r.delivery]
    dine = [r for r in rows if not r.delivery]
    lines = [
        texts.MEAL_SUMMARY_HEADER.format(
            day=day_label(day, ctx.today),
            meal=meal_name(meal),
            cutoff=f"{ctx.settings.canteen.cutoff(meal):%H:%M}",
            people=len(rows),
            portions=sum(r.portions for r in rows),
            dine=sum(r.portions for r in dine),
            deliver=sum(r.portions for r in deliver),
        )
    ]
    if deliver:
        lines += [texts.MEAL_SUMMARY_DELIVERY, *_lines(deliver)]
    if dine:
        lines += [texts.MEAL_SUMMARY_DINE, *_lines(dine)]
    return "\n".join(lines)


async def send_cutoff_summaries(ctx: Context) -> int:
    """At each meal's cutoff (claimed, so once): the kitchen's summary, the grids' lists."""
    sent = 0
    for day, meal in await ctx.uow.meals.days_with_signups(
        first=ctx.today - timedelta(days=1), last=ctx.today
    ):
        cutoff = cutoff_of(ctx, day, meal)
        if cutoff > ctx.now or ctx.now - cutoff > timedelta(hours=12):
            continue
        if not await ctx.uow.claims.claim(name=f"meal-summary:{day}:{meal}", at=ctx.now):
            continue
        rows = await summary_rows(ctx, day, meal)
        text = summary_text(ctx, day, meal, rows)
        for person in await ctx.uow.people.with_role(role="canteen"):
            await ctx.tell(person, text)
        await _send_grid_lists(ctx, day, meal, [r for r in rows if r.delivery])
        sent += 1
    return sent


async def _send_grid_lists(ctx: Context, day: date, meal: str, rows: list[SummaryRow]) -> None:
    by_grid: dict[int, tuple[str, list[SummaryRow]]] = {}
    for r in rows:
        grid = await ctx.uow.people.grid_of_building(name=r.building)
        if grid is not None:
            by_grid.setdefault(grid.id, (grid.name, []))[1].append(r)
    for grid_id, (grid_name, grid_rows) in by_grid.items():
        text = "\n".join(
            [
                texts.MEAL_GRID_HEADER.format(
                    day=day_label(day, ctx.today), meal=meal_name(meal), grid=grid_name
                ),
                *_lines(grid_rows),
            ]
        )
        for worker in await ctx.uow.people.workers_of_grid(grid_id=grid_id):
            await ctx.tell(worker, text)


async def next_cutoff_wake(ctx: Context) -> datetime | None:
    """The next meal cutoff after now (today's or tomorrow's)."""
    times = [cutoff_of(ctx, ctx.today + timedelta(days=d), meal) for d in (0, 1) for meal in MEALS]
    upcoming = [t for t in times if t > ctx.now]
    return min(upcoming) if upcoming else None


async def meal_status(ctx: Context, args: str) -> None:
    """报餐统计 [明天] [午餐]: how many so far (the canteen and admins)."""
    req = await parse_request(ctx, args, usage="报餐统计 [明天] [午餐]")
    if req.note:  # a word not understood (后年) would otherwise answer for today
        raise UserError(
            texts.MEAL_QUERY_UNCLEAR.format(words=req.note, usage="报餐统计 [明天] [午餐]")
        )
    rows = await summary_rows(ctx, req.day, req.meal)
    capacity = ctx.settings.canteen.capacity(req.meal)
    total = sum(r.portions for r in rows)
    await ctx.reply(
        texts.MEAL_STATUS_HEADER.format(
            day=day_label(req.day, ctx.today),
            meal=meal_name(req.meal),
            people=len(rows),
            portions=total,
            dine=sum(r.portions for r in rows if not r.delivery),
            deliver=sum(r.portions for r in rows if r.delivery),
            left=texts.MEAL_STATUS_LEFT.format(left=capacity - total) if capacity else "",
        )
    )


def export_rows(day: date, meal: str, rows: list[SummaryRow]) -> list[list[str | int]]:
    """The rows of the summary, as the export files hold them."""
    return [
        [
            day.isoformat(),
            meal_name(meal),
            r.building,
            r.name,
            r.address,
            r.portions,
            texts.MEAL_MODE[r.delivery],
            r.note,
            r.proxy,
        ]
        for r in sorted(rows, key=lambda r: (not r.delivery, _building_order(r.building), r.name))
    ]


async def export_meals(ctx: Context, day: date, meals: tuple[str, ...], path: Path) -> int:
    """Write a day's sign-ups (both meals by default) to `path` (.xlsx or .csv)."""
    rows: list[list[str | int]] = []
    for meal in meals:
        rows += export_rows(day, meal, await summary_rows(ctx, day, meal))
    await write_table(path, EXPORT_HEADERS, rows, title=f"报餐 {day.isoformat()}")
    return len(rows)


async def export_in_chat(ctx: Context, args: str) -> None:
    """导出报餐 [明天] [午餐]: the day's sign-ups as XLSX, sent privately."""
    req = await parse_request(ctx, args, usage="导出报餐 [明天] [午餐] [csv]")
    words = req.note.split()
    suffix = "csv" if any(w.lower() == "csv" for w in words) else "xlsx"
    unclear = " ".join(w for w in words if w.lower() not in ("csv", "xlsx", "excel"))
    if unclear:
        raise UserError(
            texts.MEAL_QUERY_UNCLEAR.format(words=unclear, usage="导出报餐 [明天] [午餐] [csv]")
        )
    meals = (req.meal,) if any(w in args for w in MEAL_WORDS) else MEALS
    path = export_path(ctx, f"meals-{req.day.isoformat()}.{suffix}")
    count = await export_meals(ctx, req.day, meals, path)
    await ctx.tell(
        ctx.sender,
        texts.EXPORT_DONE.format(what=f"{day_label(req.day, ctx.today)}报餐", rows=count),
        document=str(path),
    )


async def my_meals(ctx: Context) -> list[str]:
    """Lines for 我的: the sender's upcoming meals."""
    found = await ctx.uow.meals.upcoming_of(person_id=ctx.sender.id, since=ctx.today)
    lines = [
        texts.MEAL_MY_LINE.format(
            day=day_label(s.day, ctx.today),
            meal=meal_name(s.meal),
            portions=s.portions,
            mode=texts.MEAL_MODE[s.delivery],
            note=texts.MEAL_NOTE.format(note=s.note) if s.note else "",
        )
        for s in found
    ]
    return [texts.MEAL_MY_HEADER, *lines] if lines else []


COMMANDS = (
    Command(
        name="meal",
        keywords=("报餐", "订餐", "助餐"),
        glued=meal_glued,
        slash=("meal",),
        handler=sign_up,
        summary="报餐 明天 午餐 送餐 少盐 —— 长者食堂报餐（可写 2份、代 姓名）",
        english="Sign up for a canteen meal: /meal 明天 午餐",
        usage=texts.MEAL_USAGE,
    ),
    Command(
        name="meal_cancel",
        keywords=("取消报餐", "取消订餐"),
        glued=meal_glued,
        slash=("meal_cancel",),
        handler=cancel,
        summary="取消报餐 明天 午餐 —— 截止前取消",
        english="Cancel a meal before the cutoff",
        usage=texts.MEAL_CANCEL_USAGE,
    ),
    Command(
        name="menu",
        keywords=("菜单", "本周菜单"),
        slash=("menu",),
        handler=show_menu,
        summary="菜单 —— 本周长者食堂菜单",
        english="This week's canteen menu",
        usage="菜单",
        takes_args=False,
    ),
    Command(
        name="menu_set",
        keywords=("设置菜单",),
        slash=("menu_set",),
        handler=set_menu,
        summary="设置菜单 12月1日 午餐 红烧鱼 青菜 米饭 12元",
        english="Set a day's menu",
        usage=texts.MENU_SET_USAGE,
        roles=KITCHEN,
    ),
    Command(
        name="meal_status",
        keywords=("报餐统计", "报餐人数"),
        slash=("meal_status",),
        handler=meal_status,
        summary="报餐统计 明天 午餐 —— 目前报餐人数",
        english="How many have signed up",
        usage="报餐统计 [明天] [午餐]",
        roles=KITCHEN,
    ),
    Command(
        name="meal_export",
        keywords=("导出报餐",),
        slash=("meal_export",),
        handler=export_in_chat,
        summary="导出报餐 明天 —— 报餐名单 XLSX",
        english="Export a day's sign-ups as XLSX",
        usage="导出报餐 [明天] [午餐]",
        roles=KITCHEN,
    ),
)


FEATURE = Feature(
    name="meals", commands=COMMANDS, due=(Due(send_cutoff_summaries, next_cutoff_wake),)
)
