"""Hazard reports (隐患上报, 接诉即办): understand, file, route, merge duplicates, escalate."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers import texts, voice
from handlers.chat import Button
from handlers.context import Context, UserError
from handlers.feature import Due, Feature
from handlers.places import Place, find_place, without
from handlers.registry import Command
from handlers.settings import Category, ReportSettings
from handlers.understanding import Lexicon, ReportMeaning, read_report
from handlers.understanding.lexicon import CATEGORY_RULES
from storage.people import Person
from storage.reports import ACKNOWLEDGED, OPEN, Report

log = logging.getLogger(__name__)

OTHER = "其他"
LEVELS = 3  # grid worker → community → branch
OVERSEERS = ("community", "branch", "admin")
WORKERS = frozenset({"grid_worker", "community", "branch", "admin", "property", "neighbor_lead"})
ASK_BUILDING = "report_building"
ASK_CATEGORY = "report_category"
ASK_CONFIRM = "report_confirm"  # a hazard told without a command word: report it?

_LEXICONS: dict[int, tuple[ReportSettings, Lexicon]] = {}


def lexicon_of(policy: ReportSettings) -> Lexicon:
    """The understanding layer's lexicon for these settings, compiled once."""
    cached = _LEXICONS.get(id(policy))
    if cached is not None and cached[0] is policy:
        return cached[1]
    lexicon = Lexicon(
        (
            (c.name, dict(c.rules) or CATEGORY_RULES.get(c.name, {}), c.keywords)
            for c in policy.categories
        ),
        concepts=policy.concepts,
        fire_words=policy.urgent_fire_words,
        gas_words=policy.urgent_gas_words,
        gas_rules=policy.urgent_gas_rules,
        trapped_rules=policy.urgent_trapped_rules,
        not_urgent=policy.not_urgent_words,
    )
    _LEXICONS[id(policy)] = (policy, lexicon)
    return lexicon


def understand_report(ctx: Context, text: str) -> ReportMeaning:
    return read_report(text, lexicon_of(ctx.settings.reports), ctx.settings.building_aliases)


VOICE_EVENT = "voice"  # a report told by voice: the event's note is the clip's reference


def categorize(ctx: Context, text: str) -> Category:
    """The best-scoring category of the text, else 其他."""
    return category_named(ctx, understand_report(ctx, text).category)


def category_named(ctx: Context, name: str) -> Category:
    for category in ctx.settings.reports.categories:
        if category.name == name:
            return category
    return Category(name=name)


def urgency(ctx: Context, text: str) -> str | None:
    """'fire', 'gas', 'trapped' or None: smells, smoke, sparks, gas with a smell or a leak,
    someone shut in a lift."""
    return understand_report(ctx, text).urgency


def safety_advice(ctx: Context, danger: str | None) -> str:
    """What the chat is told first when a report is urgent ("" when it is not)."""
    policy = ctx.settings.reports
    if danger == "fire":
        return texts.REPORT_URGENT_FIRE.format(line=policy.fire_line) + "\n"
    if danger == "gas":
        return texts.REPORT_URGENT_GAS.format(line=policy.gas_line) + "\n"
    if danger == "trapped":
        return texts.REPORT_URGENT_TRAPPED.format(line=policy.lift_line) + "\n"
    return ""


async def responders(ctx: Context, *, level: int, building: str | None) -> list[Person]:
    """Who answers for a building at an escalation level (0 grid, 1 community, 2 branch)."""
    people = ctx.uow.people
    if level == 0:
        grid = await people.grid_of_building(name=building) if building else None
        if grid is None:
            return []
        workers = await people.workers_of_grid(grid_id=grid.id)
        present = [
            w for w in workers if await people.away_until(person_id=w.id, today=ctx.today) is None
        ]
        if present or grid.backup_id is None:
            return present
        # everyone on leave: the grid's backup stands in, unless away too
        if await people.away_until(person_id=grid.backup_id, today=ctx.today) is None:
            return [await people.get(person_id=grid.backup_id)]
        return []
    return await people.with_role(role="community" if level == 1 else "branch")


async def next_level(ctx: Context, *, above: int, building: str | None) -> tuple[int, list[Person]]:
    """The first level above `above` that has anyone; (level, []) when none has."""
    for level in range(above + 1, LEVELS):
        found = await responders(ctx, level=level, building=building)
        if found:
            return level, found
    return above, []


def ack_minutes(ctx: Context, category: Category, urgent: bool) -> int:
    policy = ctx.settings.reports
    if urgent:
        return policy.urgent_ack_minutes
    return category.ack_minutes or policy.ack_minutes


def resolve_hours(ctx: Context, category_name: str) -> int:
    return category_named(ctx, category_name).resolve_hours or ctx.settings.reports.resolve_hours


async def alert_text(ctx: Context, report: Report) -> str:
    """The private alert a responder receives, with the reporter's details."""
    reporter = await ctx.uow.people.get(person_id=report.reporter_id)
    filer = ""
    if report.filed_by_id and report.filed_by_id != report.reporter_id:
        filer = texts.ON_BEHALF_MARK.format(
            filer=(await ctx.uow.people.get(person_id=report.filed_by_id)).name
        )
    text = texts.ALERT.format(
        number=report.number,
        urgent=texts.ALERT_URGENT_MARK if report.urgent else "",
        place=report.place,
        category=report.category,
        text=report.text,
        reporter=reporter.name + filer,
        address=f"（{reporter.address}）" if reporter.address else "",
        time=ctx.fmt(report.created_at),
        due=_due_line(ctx, report),
    )
    if not report.known_building and report.building:
        text += texts.ALERT_UNKNOWN_BUILDING.format(building=report.building)
    if any(e.kind == VOICE_EVENT for e in await ctx.uow.reports.events(report_id=report.id)):
        text += texts.ALERT_VOICE_MARK
    followers = await ctx.uow.reports.followers(report_id=report.id)
    if followers:
        text += texts.FOLLOWERS_LINE.format(count=len(followers))
    return text


def _due_line(ctx: Context, report: Report) -> str:
    """What the responder must do by when: take it, or (taken, or reopened) resolve it."""
    if report.status == ACKNOWLEDGED and report.resolve_due is not None:
        return texts.ALERT_DUE_RESOLVE.format(deadline=ctx.fmt(report.resolve_due))
    return texts.ALERT_DUE_ACK.format(deadline=ctx.fmt(report.ack_due) if report.ack_due else "")


def ticket_buttons(report: Report) -> list[Button]:
    """接单 while it waits for someone, and 办结 until it is resolved."""
    number = report.number
    buttons = [Button(texts.RESOLVE_BUTTON.format(number=number), f"办结 {number}")]
    if report.status == OPEN:
        buttons.insert(0, Button(texts.ACK_BUTTON.format(number=number), f"接单 {number}"))
    return buttons


async def tell_residents(
    ctx: Context, report: Report, text: str, buttons: Sequence[Button] = ()
) -> int:
    """Tell the reporter and every follower; whoever filed on a reporter's behalf stands in.
    Returns how many were reached."""
    ids = [report.reporter_id, *await ctx.uow.reports.followers(report_id=report.id)]
    told = 0
    for pid in dict.fromkeys(ids):
        if ctx.person is not None and pid == ctx.person.id:
            continue
        person = await ctx.uow.people.get(person_id=pid)
        if await ctx.tell(person, text, buttons):
            told += 1
            continue
        if pid == report.reporter_id and report.filed_by_id and report.filed_by_id != pid:
            filer = await ctx.uow.people.get(person_id=report.filed_by_id)
            told += await ctx.tell(filer, f"（代{person.name}转告）{text}", buttons)
    return told


@dataclass(frozen=True)
class Draft:
    """What a report will say, before it is filed."""

    reporter: Person
    place: Place
    text: str
    photo: str | None
    category: str | None = None  # chosen by the resident when the bot asked
    voice: str | None = None  # the clip a confirmed voice message came from


async def ask_category(ctx: Context, draft: Draft, first: str, second: str) -> None:
    """Two categories alerting different people scored close: ask, do not guess."""
    msg = ctx.incoming
    assert msg is not None
    place = draft.place
    await ctx.ask(
        ASK_CATEGORY,
        "\t".join((place.building, place.unit or "", place.room or "", first, second, draft.text)),
        photo=draft.photo,
    )
    await ctx.reply(texts.REPORT_ASK_CATEGORY.format(first=first, second=second))


@dataclass(frozen=True)
class Reading:
    """A draft understood: its category (and a close second), how dangerous it sounds, and
    whether its building is one of ours."""

    category: Category
    runner_up: Category | None
    danger: str | None  # 'fire', 'gas', 'trapped' or None
    known: bool


@dataclass(frozen=True)
class Route:
    """Who a new report goes to: the level that answers for it and its people (none at all
    when nobody answers at any level)."""

    level: int
    chain: list[Person]


async def file_report(ctx: Context, draft: Draft, *, on_behalf: bool = False) -> None:
    """File a report (or merge it into an open duplicate), alert, and answer the chat."""
    reading = await _understand(ctx, draft)
    if _must_ask_category(draft, reading, on_behalf=on_behalf):
        assert reading.runner_up is not None
        await ask_category(ctx, draft, reading.category.name, reading.runner_up.name)
        return
    dup = await _open_duplicate(ctx, draft, reading)
    if dup is not None:
        await follow_report(ctx, dup, draft.reporter, draft.text)
        return
    route = await _route(ctx, draft, reading)
    filed = await _persist(ctx, draft, reading, route, on_behalf=on_behalf)
    unreachable = await _alert_responders(ctx, filed, reading, route)
    await ctx.reply(await _filed_answer(ctx, draft, reading, route, filed, on_behalf=on_behalf))
    if unreachable:  # the admins' business, privately: never the residents' group
        notice = texts.REPORT_UNREACHABLE.format(number=filed.number, names="、".join(unreachable))
        for admin in await ctx.uow.people.with_role(role="admin"):
            await ctx.tell(admin, notice)


async def _understand(ctx: Context, draft: Draft) -> Reading:
    meaning = understand_report(ctx, draft.text)
    category = category_named(ctx, draft.category or meaning.category)
    runner_up = None
    if draft.category is None and meaning.close and meaning.runner_up is not None:
        runner_up = category_named(ctx, meaning.runner_up.name)
    known = await ctx.uow.people.building_exists(name=draft.place.building)
    return Reading(category, runner_up, meaning.urgency, known)


def _must_ask_category(draft: Draft, reading: Reading, *, on_behalf: bool) -> bool:
    """Two categories alerting different people scored close: ask, do not guess — unless it
    is urgent, or a worker files for a resident who is not there to answer."""
    second = reading.runner_up
    return (
        second is not None
        and set(second.also_roles) != set(reading.category.also_roles)
        and not reading.danger
        and not on_behalf
    )


async def _open_duplicate(ctx: Context, draft: Draft, reading: Reading) -> Report | None:
    """An open report of the same building and category filed lately (not for an urgent
    report, nor 其他: those are filed each time)."""
    policy = ctx.settings.reports
    if not reading.known or reading.danger or reading.category.name == OTHER:
        return None
    if not policy.duplicate_window_hours:
        return None
    return await ctx.uow.reports.open_duplicate(
        building=draft.place.building,
        category=reading.category.name,
        since=ctx.now - timedelta(hours=policy.duplicate_window_hours),
    )


async def _route(ctx: Context, draft: Draft, reading: Reading) -> Route:
    """The building's grid, else the first level above with anyone."""
    if reading.known:
        chain = await responders(ctx, level=0, building=draft.place.building)
        if chain:
            return Route(0, chain)
        return Route(*await next_level(ctx, above=0, building=draft.place.building))
    return Route(*await next_level(ctx, above=0, building=None))


async def _persist(
    ctx: Context, draft: Draft, reading: Reading, route: Route, *, on_behalf: bool
) -> Report:
    msg = ctx.incoming
    assert msg is not None
    place, urgent = draft.place, reading.danger is not None
    filed = await ctx.uow.reports.file(
        reporter_id=draft.reporter.id,
        building=place.building,
        known_building=reading.known,
        unit=place.unit,
        room=place.room,
        text=draft.text,
        category=reading.category.name,
        urgent=urgent,
        assignee_id=route.chain[0].id if route.chain else None,
        level=route.level,
        origin_platform=msg.platform,
        origin_chat=msg.chat_id,
        photo=draft.photo,
        at=ctx.now,
        ack_due=ctx.now + timedelta(minutes=ack_minutes(ctx, reading.category, urgent)),
        filed_by_id=ctx.sender.id if on_behalf else None,
    )
    if draft.voice:  # the clip stays with the report, for whoever handles it
        await ctx.uow.reports.add_event(
            report_id=filed.id,
            kind=VOICE_EVENT,
            actor_id=draft.reporter.id,
            at=ctx.now,
            note=draft.voice,
        )
    log.info(
        "report %s filed: %s, %s, level %d%s",
        filed.number,
        place.building,
        reading.category.name,
        route.level,
        ", urgent" if urgent else "",
    )
    return filed


async def _alert_responders(
    ctx: Context, filed: Report, reading: Reading, route: Route
) -> list[str]:
    """Alert the level's responders, the category's extra roles, and for an urgent report
    every level above at once; returns the names of those who could not be reached."""
    alerted: list[Person] = list(route.chain)
    if reading.danger:
        for upper in range(route.level + 1, LEVELS):
            alerted += await responders(ctx, level=upper, building=None)
    responding = {p.id for p in alerted}  # they may take it and resolve it: the buttons
    for role in reading.category.also_roles:  # told as well (property for a lift): no buttons
        alerted += await ctx.uow.people.with_role(role=role)
    body = await alert_text(ctx, filed)
    if reading.runner_up is not None:
        body += texts.ALERT_RUNNER_UP.format(second=reading.runner_up.name)
    unreachable = []
    for person in {p.id: p for p in alerted}.values():
        if person.id in responding:
            told = await ctx.tell(person, body, ticket_buttons(filed), photo=filed.photo)
        else:
            told = await ctx.tell(person, body + texts.ALERT_FOR_INFORMATION, photo=filed.photo)
        if not told:
            unreachable.append(person.name)
    return unreachable


async def _filed_answer(
    ctx: Context, draft: Draft, reading: Reading, route: Route, filed: Report, *, on_behalf: bool
) -> str:
    """What the chat is told: the number, who has it, and the safety advice first when urgent."""
    place, level = draft.place, route.level
    names = "、".join(p.name for p in route.chain) or texts.LEVEL_NAMES[level]
    if not reading.known:
        answer = texts.REPORT_FILED_UNKNOWN_BUILDING.format(
            number=filed.number, text=draft.text, building=place.building, handler=names
        )
    else:
        handler = f"{texts.LEVEL_NAMES[level]}{names}"
        if level == 0:
            grid = await ctx.uow.people.grid_of_building(name=place.building)
            role = texts.GRID_WORKER
            if grid is not None and [p.id for p in route.chain] == [grid.backup_id]:
                workers = await ctx.uow.people.workers_of_grid(grid_id=grid.id)
                if grid.backup_id not in {w.id for w in workers}:  # standing in for them
                    role = texts.GRID_BACKUP
            handler = f"{grid.name if grid else ''}{role}{names}"
        template = texts.REPORT_FILED
        if on_behalf:
            template = texts.ON_BEHALF_FILED_GROUP if ctx.in_group else texts.ON_BEHALF_FILED
        answer = template.format(
            number=filed.number,
            place=place.building,
            text=draft.text,
            handler=handler,
            name=draft.reporter.name,
        )
    return safety_advice(ctx, reading.danger) + answer


async def follow_report(ctx: Context, found: Report, person: Person, text: str) -> None:
    """Add a resident to an open report instead of filing it twice; its handler sees the count.
    Someone already on it (the reporter, a follower) who reports it again with something new
    adds it: its handler is told (something new must never be swallowed as a repeat)."""
    place = found.public_place
    mine = person.id == found.reporter_id
    if mine or not await ctx.uow.reports.follow(
        report_id=found.id, person_id=person.id, at=ctx.now
    ):
        if await _is_new_detail(ctx, found, text):
            await _supplement(ctx, found, person, text, mine=mine)
        elif mine:
            await ctx.reply(
                texts.REPORT_DUPLICATE_OWN.format(number=found.number, place=place, text=found.text)
            )
        else:
            await ctx.reply(texts.FOLLOW_ALREADY.format(number=found.number))
        return
    await ctx.uow.reports.add_event(
        report_id=found.id, kind="followed", actor_id=person.id, at=ctx.now, note=text
    )
    await ctx.reply(
        texts.REPORT_DUPLICATE.format(number=found.number, place=place, text=found.text)
    )
    count = 1 + len(await ctx.uow.reports.followers(report_id=found.id))
    if found.assignee_id is not None:
        assignee = await ctx.uow.people.get(person_id=found.assignee_id)
        await ctx.tell(
            assignee,
            texts.FOLLOW_ALERT.format(
                number=found.number, name=person.name, text=text, count=count
            ),
            ticket_buttons(found),
        )


def _words(text: str) -> str:
    """A text as compared for repeats: without spaces and punctuation."""
    return "".join(c for c in text if c not in _EDGE)


async def _supplement(
    ctx: Context, found: Report, person: Person, text: str, *, mine: bool
) -> None:
    """Keep what a resident already on a report adds, and tell its handler."""
    await ctx.uow.reports.add_event(
        report_id=found.id, kind="supplemented", actor_id=person.id, at=ctx.now, note=text
    )
    template = texts.REPORT_SUPPLEMENTED if mine else texts.FOLLOW_SUPPLEMENTED
    await ctx.reply(
        template.format(number=found.number, place=found.public_place, text=found.text, more=text)
    )
    if found.assignee_id is not None:
        assignee = await ctx.uow.people.get(person_id=found.assignee_id)
        who = texts.SUPPLEMENT_BY_REPORTER if mine else texts.SUPPLEMENT_BY_FOLLOWER
        await ctx.tell(
            assignee,
            texts.SUPPLEMENT_ALERT.format(
                number=found.number, who=who, name=person.name, more=text
            ),
            ticket_buttons(found),
        )


async def _is_new_detail(ctx: Context, found: Report, text: str) -> bool:
    """Whether a resident's report says something its report (and what residents already
    added or said following it) did not."""
    said = [found.text] + [
        e.note or ""
        for e in await ctx.uow.reports.events(report_id=found.id)
        if e.kind in ("supplemented", "followed")
    ]
    new = _words(text)
    return bool(new) and not any(new in _words(s) for s in said)


_EDGE = " \t，,、:：;；。!！?？"
_FILLERS = "好像是在应该可能大概就的吧啊呀呢哦嘛了吗"


def _at_an_edge(text: str, place: Place) -> bool:
    """Whether the place opens or closes the text (上报 3栋 …), rather than sits in a
    sentence (消防通道被堵住了，在6#楼下), where cutting it out would leave "在 楼下"."""
    return not text[: place.start].strip(_EDGE) or not text[place.end :].strip(_EDGE)


def _description(text: str, place: Place) -> str:
    return without(text, place) if _at_an_edge(text, place) else text.strip(_EDGE)


def _draft_place(ctx: Context, text: str, reporter: Person) -> tuple[Place | None, str]:
    """The place named in text, else the reporter's bound building; and the rest of the text."""
    place = find_place(text, ctx.settings.building_aliases)
    if place is not None:
        return place, _description(text, place)
    home = find_place(reporter.address or "", ctx.settings.building_aliases)
    if home is not None:
        return Place(home.building, home.unit, None, 0, 0), text.strip()
    return None, text.strip()


async def report(ctx: Context, args: str) -> None:
    """上报 3栋 楼道飞线充电: file a report and alert whoever answers for the building."""
    msg = ctx.incoming
    assert msg is not None
    photo = msg.attachments[0] if msg.attachments else None
    if not args and photo is None:
        raise UserError(texts.REPORT_USAGE)
    place, description = _draft_place(ctx, args, ctx.sender)
    if place is not None:
        other = find_place(without(args, place), ctx.settings.building_aliases)
        if other is not None and other.building != place.building:
            # 3栋和5栋: one report goes to one grid; never drop the second building silently
            raise UserError(
                texts.REPORT_TWO_BUILDINGS.format(first=place.building, second=other.building)
            )
    if place is None:
        if not description:
            raise UserError(texts.REPORT_USAGE)
        await ctx.ask(ASK_BUILDING, description, photo=photo)
        await ctx.reply(texts.REPORT_ASK_BUILDING)
        return
    if not description:
        raise UserError(texts.REPORT_NEED_TEXT.format(place=place.label))
    await file_report(
        ctx, Draft(ctx.sender, place, description, photo, voice=voice.from_voice(msg))
    )


async def offer_report(ctx: Context, args: str) -> None:
    """A hazard told to the bot without a command word (@小区助手 5栋楼道冒烟了, or in
    private): not filed on a guess, but asked about once — with the safety advice at once
    when it sounds urgent."""
    msg = ctx.incoming
    assert msg is not None
    await ctx.ask(ASK_CONFIRM, args, photo=msg.attachments[0] if msg.attachments else None)
    question = texts.REPORT_ASK_CONFIRM.format(text=_shorten(args))
    await ctx.reply(safety_advice(ctx, urgency(ctx, args)) + question)


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def answer_confirm(ctx: Context, args: str) -> None:
    """The answer to "shall I report this?": 是 files it (asking the building if needed)."""
    msg = ctx.incoming
    assert msg is not None
    pending = await ctx.asked()
    if pending is None:
        return
    await ctx.answered()
    if args.strip(" 。.!！~～的吧啊呀") in texts.YES_WORDS:
        await report(ctx, pending.text)
    elif not ctx.in_group:
        await ctx.reply(texts.REPORT_NOT_FILED)


async def answer_building(ctx: Context, args: str) -> None:
    """The answer to "which building?": finish the report that was waiting for it."""
    msg = ctx.incoming
    assert msg is not None
    pending = await ctx.asked()
    if pending is None:
        return
    place = find_place(args, ctx.settings.building_aliases)
    if place is None:
        if not ctx.in_group:
            await ctx.reply(texts.REPORT_ASK_AGAIN)
        return
    await ctx.answered()
    # what the answer adds beyond the building (3栋 二楼楼道), not the words around it
    # (好像是三号楼吧): those are no part of the report
    extra = without(args, place).strip(_EDGE + _FILLERS) if _at_an_edge(args, place) else ""
    text = f"{pending.text} {extra}".strip() if len(extra) > 1 else pending.text
    await file_report(ctx, Draft(ctx.sender, place, text, pending.photo))


async def answer_category(ctx: Context, args: str) -> None:
    """The answer to "this or that category?": file the report that was waiting for it."""
    msg = ctx.incoming
    assert msg is not None
    pending = await ctx.asked()
    if pending is None:
        return
    building, unit, room, first, second, text = pending.text.split("\t", 5)
    answer = args.strip(" 。.!！")
    if answer in ("1", "一", "第一个", first) or (first in answer and second not in answer):
        chosen = first
    elif answer in ("2", "二", "第二个", second) or (second in answer and first not in answer):
        chosen = second
    else:
        if not ctx.in_group:
            await ctx.reply(texts.REPORT_ASK_CATEGORY_AGAIN.format(first=first, second=second))
        return
    await ctx.answered()
    place = Place(building, unit or None, room or None, 0, 0)
    await file_report(ctx, Draft(ctx.sender, place, text, pending.photo, chosen))


async def on_behalf(ctx: Context, args: str) -> None:
    """代报 郭先德 5栋 楼道堆物: a worker or 邻长 files for a resident without chat."""
    name, _, rest = args.partition(" ")
    if not name or not rest.strip():
        raise UserError(texts.ON_BEHALF_USAGE)
    resident = await ctx.uow.people.find_by_name(name=name)
    if resident is None:
        raise UserError(texts.ON_BEHALF_UNKNOWN.format(name=name))
    place, description = _draft_place(ctx, rest, resident)
    if place is None:
        raise UserError(texts.ON_BEHALF_USAGE)
    if not description:
        raise UserError(texts.REPORT_NEED_TEXT.format(place=place.label))
    msg = ctx.incoming
    assert msg is not None
    photo = msg.attachments[0] if msg.attachments else None
    await file_report(ctx, Draft(resident, place, description, photo), on_behalf=True)


async def bind(ctx: Context, args: str) -> None:
    """绑定 3栋2单元501: remember where the sender lives."""
    place = find_place(args, ctx.settings.building_aliases)
    if place is None:
        raise UserError(texts.BIND_USAGE)
    if not await ctx.uow.people.building_exists(name=place.building):
        raise UserError(texts.BIND_UNKNOWN.format(building=place.building))
    await ctx.uow.people.set_address(person_id=ctx.sender.id, address=place.label)
    done = texts.BIND_DONE.format(address=place.label)
    if ctx.in_group:
        await ctx.reply(texts.BIND_DONE_GROUP)
        await ctx.tell(ctx.sender, done)
    else:
        await ctx.reply(done)


async def escalate_unacknowledged(ctx: Context) -> int:
    """Hand every report not acknowledged in time to the next level; returns how many."""
    moved = 0
    for found in await ctx.uow.reports.unacknowledged_due(now=ctx.now):
        level, chain = await next_level(ctx, above=found.level, building=found.building)
        if not chain:
            continue  # the top of the chain has it already
        category = category_named(ctx, found.category)
        updated = await ctx.uow.reports.escalate(
            seen=found,
            level=level,
            # the grid worker stays the assignee; the level above now oversees it too
            assignee_id=found.assignee_id or chain[0].id,
            ack_due=ctx.now + timedelta(minutes=ack_minutes(ctx, category, found.urgent)),
            at=ctx.now,
            level_name=texts.LEVEL_NAMES[level],
        )
        if updated is None:
            continue  # another worker escalated it a moment ago
        deadline = ctx.fmt(found.ack_due) if found.ack_due else ""
        body = texts.ESCALATED_UP.format(
            number=found.number, deadline=deadline, alert=await alert_text(ctx, updated)
        )
        if found.urgent:  # every level had the full alert at filing: not the same again
            body = texts.ESCALATED_UP_URGENT.format(
                number=found.number, place=found.place, text=found.text, deadline=deadline
            )
        for person in chain:
            await ctx.tell(person, body, ticket_buttons(updated))
        notice = texts.ESCALATED_DOWN.format(
            number=found.number,
            level=texts.LEVEL_NAMES[level],
            who="、".join(p.name for p in chain),
        )
        for person in await responders(ctx, level=found.level, building=found.building):
            if person not in chain:
                await ctx.tell(person, notice, ticket_buttons(updated))
        moved += 1
    return moved


async def chase_unresolved(ctx: Context) -> int:
    """Remind the assignee of a report past its resolution deadline, then escalate it."""
    grace = timedelta(hours=ctx.settings.reports.resolve_grace_hours)
    done = 0
    for found in await ctx.uow.reports.unresolved_due(now=ctx.now):
        assert found.assignee_id is not None and found.resolve_due is not None
        assignee = await ctx.uow.people.get(person_id=found.assignee_id)
        level, chain = await next_level(ctx, above=found.level, building=found.building)
        if not found.resolve_reminded:
            if not await ctx.uow.reports.remind_overdue(
                seen=found, grace_until=ctx.now + grace, at=ctx.now
            ):
                continue  # another worker reminded them a moment ago
            # at the top of the chain there is nobody to pass it to: no such promise
            await ctx.tell(
                assignee,
                (texts.RESOLVE_OVERDUE if chain else texts.RESOLVE_OVERDUE_TOP).format(
                    number=found.number,
                    place=found.place,
                    text=found.text,
                    deadline=ctx.fmt(found.resolve_due),
                    grace=f"{ctx.settings.reports.resolve_grace_hours}小时",
                    level=texts.LEVEL_NAMES[level],
                ),
                ticket_buttons(found),
            )
            done += 1
            continue
        due = ctx.now + timedelta(hours=resolve_hours(ctx, found.category))
        if not chain:  # nobody above: keep reminding at each deadline
            await ctx.uow.reports.renew_overdue(seen=found, resolve_due=due)
            continue
        updated = await ctx.uow.reports.escalate_overdue(
            seen=found,
            level=level,
            resolve_due=due,
            at=ctx.now,
            level_name=texts.LEVEL_NAMES[level],
        )
        if updated is None:
            continue  # another worker got there first
        body = texts.RESOLVE_ESCALATED_UP.format(
            number=found.number,
            worker=assignee.name,
            # the deadline missed, not the end of the grace the reminder gave (resolve_due)
            deadline=ctx.fmt(found.resolve_due - grace),
            alert=await alert_text(ctx, updated),
        )
        for person in chain:
            await ctx.tell(person, body, ticket_buttons(updated))
        await ctx.tell(
            assignee,
            texts.RESOLVE_ESCALATED_DOWN.format(
                number=found.number,
                level=texts.LEVEL_NAMES[level],
                who="、".join(p.name for p in chain),
            ),
            ticket_buttons(updated),
        )
        done += 1
    return done


async def recheck(ctx: Context) -> int:
    """回头看: remind the worker to re-check a closed 飞线充电 / 电动车 case."""
    found = await ctx.uow.reports.recheck_due_at(now=ctx.now)
    done = 0
    for r in found:
        if not await ctx.uow.reports.take_recheck(seen=r, at=ctx.now):
            continue
        done += 1
        if r.assignee_id is not None:
            worker = await ctx.uow.people.get(person_id=r.assignee_id)
            await ctx.tell(
                worker,
                texts.RECHECK.format(
                    number=r.number,
                    place=r.place,
                    text=r.text,
                    resolved=ctx.fmt(r.resolved_at) if r.resolved_at else "",
                ),
            )
    return done


def _expired_text(kind: str, asked: str) -> str:
    """What a resident is told when a question about their report ran out unanswered."""
    if kind == ASK_CATEGORY:
        building, _, _, _, _, text = asked.split("\t", 5)
        return texts.REPORT_CATEGORY_EXPIRED.format(text=text, building=building)
    return texts.REPORT_QUESTION_EXPIRED.format(text=asked)


# the questions that hold a report back: when unanswered, the resident is told it was not
# filed ("shall I report this?" is not among them: its answer may be silence)
HELD_REPORTS = (ASK_BUILDING, ASK_CATEGORY)


async def expire_report_questions(ctx: Context) -> int:
    """A report's question left unanswered: the resident is told the report was not filed."""
    told = 0
    for kind in HELD_REPORTS:
        for q in await ctx.uow.questions.expired(kind=kind, now=ctx.now):
            if not await ctx.uow.questions.drop(
                platform=q.platform, chat_id=q.chat_id, person_id=q.person_id, kind=kind
            ):
                continue
            person = await ctx.uow.people.get(person_id=q.person_id)
            await ctx.tell(person, _expired_text(kind, q.text))
            told += 1
    return told


async def report_due(ctx: Context) -> int:
    """Everything about reports that falls due at ctx.now."""
    return (
        await escalate_unacknowledged(ctx)
        + await chase_unresolved(ctx)
        + await recheck(ctx)
        + await expire_report_questions(ctx)
    )


async def next_report_wake(ctx: Context) -> datetime | None:
    """When the next report deadline (or unanswered question's end) falls, after now."""
    wakes = [
        await ctx.uow.reports.next_deadline(after=ctx.now),
        *[await ctx.uow.questions.next_expiry(kind=k, after=ctx.now) for k in HELD_REPORTS],
    ]
    return min((w for w in wakes if w is not None), default=None)


COMMANDS = (
    Command(
        name="report",
        english="Report a safety hazard: /report 3栋 楼道飞线充电",
        keywords=("上报", "隐患", "报告隐患", "反映", "举报"),
        slash=("report",),
        handler=report,
        summary="上报 3栋 楼道飞线充电 —— 上报安全隐患（可附照片）",
        usage=texts.REPORT_USAGE,
    ),
    Command(
        name="bind",
        english="Register your address: /bind 3栋2单元501",
        keywords=("绑定",),
        slash=("bind",),
        handler=bind,
        summary="绑定 3栋2单元501 —— 登记住址，以后上报可不写楼栋",
        usage=texts.BIND_USAGE,
    ),
    Command(
        name="on_behalf",
        english="Report for a resident without chat",
        keywords=("代报",),
        slash=("report_for",),
        handler=on_behalf,
        summary="代报 郭先德 5栋 楼道堆物 —— 替不用手机的居民上报",
        usage=texts.ON_BEHALF_USAGE,
        roles=WORKERS,
    ),
)

OFFER = Command(
    name="report_offer",
    keywords=(),
    slash=(),
    handler=offer_report,
    summary="",
    usage=texts.REPORT_USAGE,
)

CONTINUATIONS = {
    ASK_CONFIRM: Command(
        name="report_confirm",
        keywords=(),
        slash=(),
        handler=answer_confirm,
        summary="",
        usage=texts.REPORT_USAGE,
    ),
    ASK_BUILDING: Command(
        name="report_building",
        keywords=(),
        slash=(),
        handler=answer_building,
        summary="",
        usage=texts.REPORT_ASK_BUILDING,
    ),
    ASK_CATEGORY: Command(
        name="report_category",
        keywords=(),
        slash=(),
        handler=answer_category,
        summary="",
        usage=texts.REPORT_ASK_CATEGORY,
    ),
}


FEATURE = Feature(
    name="reports",
    commands=COMMANDS,
    continuations=CONTINUATIONS,
    due=(Due(report_due, next_report_wake),),
)
