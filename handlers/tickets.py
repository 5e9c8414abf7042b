"""Acting on reports: 接单, 办结, 转派, 备注, 工单, 我的, 我也遇到, 评议 and the history (H3).

接单, 办结 and 满意 are shared verbs: on an H-number or none they mean a report, here; on
another feature's number that feature handles them (接单 S1 in handlers/orders.py)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import NoReturn

from handlers import texts
from handlers.chat import Button
from handlers.context import Context, UserError
from handlers.feature import Feature
from handlers.places import find_place
from handlers.registry import Command, Handler
from handlers.reports import (
    OVERSEERS,
    WORKERS,
    alert_text,
    follow_report,
    resolve_hours,
    responders,
    tell_residents,
    ticket_buttons,
)
from handlers.ticket_rules import UNSATISFIED, Actor, Outcome, Refusal, Verb, decide_report
from storage import NotFound
from storage.people import Person
from storage.reports import ACKNOWLEDGED, OPEN, Location, Report

_NUMBER = re.compile(r"^[Hh]?(\d{1,9})(?![\d])\s*(.*)$", re.S)
_NAMES_A_TICKET = re.compile(r"^(?:[Hh]\d|\d{1,9}(?:\s|$))")  # not "3栋又有人充电"
RATINGS = texts.RATING_WORDS
ASK_REASON = "rating_reason"  # a bare 不满意: what is wrong? (the next message says)


async def _ticket(ctx: Context, args: str, usage: str) -> tuple[Report, str]:
    m = _NUMBER.match(args.strip())
    if not m:
        raise UserError(usage)
    try:
        found = await ctx.uow.reports.get(report_id=int(m.group(1)))
    except NotFound:
        raise UserError(texts.NO_SUCH_REPORT.format(number=f"H{int(m.group(1))}")) from None
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


async def actor_of(ctx: Context, found: Report) -> Actor:
    """The sender's part in a report: responder, resident (reporter or follower), or both."""
    followers = await ctx.uow.reports.followers(report_id=found.id)
    return Actor(
        responder=await may_act(ctx, found),
        resident=ctx.sender.id in (found.reporter_id, *followers),
    )


async def _decided(
    ctx: Context, found: Report, verb: Verb, words: str = "", rating: str | None = None
) -> Outcome:
    """What the verb does to the report, per the ticket rules; a refusal is raised."""
    decision = decide_report(
        found.status,
        await actor_of(ctx, found),
        verb,
        words=words,
        rating=rating,
        assigned=found.assignee_id is not None,
    )
    if isinstance(decision, Refusal):
        raise UserError(decision.text(found.number))
    return decision


async def _refuse_changed(ctx: Context, found: Report, verb: Verb, words: str = "") -> NoReturn:
    """The report changed between reading and writing it (another worker, another person):
    the refusal its state now calls for."""
    now = await ctx.uow.reports.get(report_id=found.id)
    decision = await _decided(ctx, now, verb, words)
    raise AssertionError(f"{now.number}: {verb.value} refused by storage, allowed as {decision}")


async def acknowledge(ctx: Context, args: str) -> None:
    """接单 H1: the responder takes the report; its reporter is told."""
    found, rest = await _ticket(ctx, args, texts.TICKET_USAGE.format(verb="接单"))
    others = re.findall(r"[Hh]\s*(\d+)", rest)
    if others:  # 接单 H1 H2: not one taken and the other silently left
        numbers = [found.number, *(f"H{int(n)}" for n in others)]
        each = "、".join(f"「接单 {n}」" for n in numbers)
        raise UserError(texts.ONE_TICKET_AT_A_TIME.format(verb="接单", each=each))
    await _decided(ctx, found, Verb.ACKNOWLEDGE)
    due = ctx.now + timedelta(hours=resolve_hours(ctx, found.category))
    updated = await ctx.uow.reports.acknowledge(
        report_id=found.id, by=ctx.sender.id, at=ctx.now, resolve_due=due
    )
    if updated is None:
        await _refuse_changed(ctx, found, Verb.ACKNOWLEDGE)
    await ctx.reply(
        texts.ACKED_WORKER.format(number=found.number, deadline=ctx.fmt(due)),
        ticket_buttons(updated),
    )
    if found.assignee_id is not None and found.assignee_id != ctx.sender.id:
        # a colleague took it: whoever it was waiting on must not go on thinking it theirs
        before = await ctx.uow.people.get(person_id=found.assignee_id)
        await ctx.tell(
            before,
            texts.TAKEN_BY_OTHER.format(
                number=found.number,
                place=found.public_place,
                text=found.text,
                who=ctx.sender.name,
            ),
        )
    await tell_residents(
        ctx,
        found,
        texts.ACKED_REPORTER.format(
            number=found.number, place=found.place, text=found.text, worker=ctx.sender.name
        ),
    )


async def resolve(ctx: Context, args: str) -> None:
    """办结 H1 已清理: resolved; reporter and followers are told and asked to rate it."""
    found, note = await _ticket(ctx, args, texts.RESOLVE_USAGE)
    await _decided(ctx, found, Verb.RESOLVE, note)
    recheck = None
    if found.category in ctx.settings.reports.recheck_categories:
        recheck = ctx.now + timedelta(days=ctx.settings.reports.recheck_days)
    done = await ctx.uow.reports.resolve(
        report_id=found.id, by=ctx.sender.id, at=ctx.now, note=note, recheck_due=recheck
    )
    if done is None:
        await _refuse_changed(ctx, found, Verb.RESOLVE, note)
    text = texts.RESOLVED_REPORTER.format(
        number=found.number, place=found.place, text=found.text, note=note
    )
    buttons = [Button(word, f"{word} {found.number}", choice=True) for word in RATINGS]
    told = await tell_residents(ctx, found, f"{text}\n{texts.RESOLVE_ASK_RATING}", buttons)
    # say that the reporter was told only when somebody was (not after 删除我的信息)
    reply = texts.RESOLVED_WORKER if told else texts.RESOLVED_WORKER_NOBODY
    await ctx.reply(reply.format(number=found.number))


async def _reassign_target(ctx: Context, target: str) -> tuple[list[Person], Location | None]:
    """Who 转派 names — a worker, or a known building's grid — and the place it moves to."""
    person = await ctx.uow.people.find_by_name(name=target)
    if person is not None:
        if not person.has_any(*WORKERS):
            raise UserError(texts.REASSIGN_NOT_WORKER.format(name=person.name))
        return [person], None
    place = find_place(target, ctx.settings.building_aliases)
    if place is None or not await ctx.uow.people.building_exists(name=place.building):
        raise UserError(texts.REASSIGN_UNKNOWN.format(target=target))
    chain = await responders(ctx, level=0, building=place.building)
    if not chain:
        raise UserError(texts.REASSIGN_NO_ONE.format(building=place.building))
    return chain, Location(place.building, place.unit, place.room)


async def reassign(ctx: Context, args: str) -> None:
    """转派 H1 5栋 / 转派 H1 陈刚: hand the report to another building's grid or a person."""
    found, target = await _ticket(ctx, args, texts.REASSIGN_USAGE)
    await _decided(ctx, found, Verb.REASSIGN, target)
    chain, moved = await _reassign_target(ctx, target)
    ids = [p.id for p in chain]
    if ids == [found.assignee_id] and (moved is None or moved.building == found.building):
        # to whoever has it already (转派 H1 李娜 by 李娜): nothing would change
        if found.assignee_id == ctx.sender.id:
            raise UserError(texts.REASSIGN_SELF.format(number=found.number))
        raise UserError(texts.REASSIGN_SAME.format(number=found.number, who=chain[0].name))
    who = "、".join(p.name for p in chain)
    updated = await ctx.uow.reports.reassign(
        report_id=found.id,
        to=chain[0].id,
        by=ctx.sender.id,
        at=ctx.now,
        ack_due=ctx.now + timedelta(minutes=ctx.settings.reports.ack_minutes),
        who=who,
        place=moved,
    )
    if updated is None:
        await _refuse_changed(ctx, found, Verb.REASSIGN, target)
    body = texts.REASSIGN_ALERT.format(
        number=found.number, by=ctx.sender.name, alert=await alert_text(ctx, updated)
    )
    for p in chain:
        await ctx.tell(p, body, ticket_buttons(updated))
    if found.assignee_id is not None and found.assignee_id not in (ctx.sender.id, *ids):
        # taken from whoever had it (handed on, or back): they learn it is no longer theirs
        before = await ctx.uow.people.get(person_id=found.assignee_id)
        await ctx.tell(
            before,
            texts.REASSIGN_TAKEN_AWAY.format(
                number=found.number, place=found.place, text=found.text, by=ctx.sender.name, who=who
            ),
        )
    await ctx.reply(texts.REASSIGN_DONE.format(number=found.number, who=who))
    await tell_residents(ctx, updated, texts.REASSIGN_REPORTER.format(number=found.number, who=who))


async def note(ctx: Context, args: str) -> None:
    """备注 H1 明天上午处理: a note the reporter and followers see."""
    found, text = await _ticket(ctx, args, texts.NOTE_USAGE)
    await _decided(ctx, found, Verb.NOTE, text)
    await ctx.uow.reports.add_event(
        report_id=found.id, kind="note", actor_id=ctx.sender.id, at=ctx.now, note=text
    )
    await tell_residents(
        ctx,
        found,
        texts.NOTE_REPORTER.format(
            number=found.number, place=found.place, who=ctx.sender.name, note=text
        ),
    )
    await ctx.reply(texts.NOTE_DONE)


async def follow(ctx: Context, args: str) -> None:
    """我也遇到 H1: a resident joins a report and hears of its progress."""
    found, rest = await _ticket(ctx, args, texts.FOLLOW_USAGE)
    await _decided(ctx, found, Verb.FOLLOW)
    await follow_report(ctx, found, ctx.sender, rest or found.text)


def rating_handler(word: str) -> Handler:
    """The handler of one verdict: 满意, 基本满意 or 不满意."""

    async def rate_it(ctx: Context, args: str) -> None:
        await rate(ctx, word, args)

    return rate_it


async def rate(ctx: Context, word: str, args: str) -> None:
    """满意 / 基本满意 / 不满意 [H1] [原因]: the resident's verdict; 不满意 reopens it."""
    asked = await ctx.asked()
    if asked is not None and asked.kind == ASK_REASON:
        # a verdict given in full settles the question a bare 不满意 asked: a later message
        # must not be taken for its reason (and send the report back)
        await ctx.answered()
    if _NAMES_A_TICKET.match(args):
        found, reason = await _ticket(ctx, args, texts.TICKET_USAGE.format(verb=word))
    else:
        waiting = await ctx.uow.reports.awaiting_rating(person_id=ctx.sender.id)
        if waiting is None:
            raise UserError(texts.RATING_NOTHING)
        found, reason = waiting, args.strip()
    rating = RATINGS[word]
    if rating == UNSATISFIED and not reason:
        # allowed with a reason? then ask for it: the next message is the reason (the
        # 不满意 button sends no words, and an answer must not fall into the help text)
        await _decided(ctx, found, Verb.RATE, "…", rating)
        await ctx.ask(ASK_REASON, found.number)
        await ctx.reply(texts.RATING_ASK_REASON.format(number=found.number))
        return
    outcome = await _decided(ctx, found, Verb.RATE, reason, rating)
    await ctx.uow.reports.rate(
        report_id=found.id,
        person_id=ctx.sender.id,
        rating=rating,
        reason=reason or None,
        at=ctx.now,
    )
    await ctx.uow.reports.add_event(
        report_id=found.id,
        kind="rated",
        actor_id=ctx.sender.id,
        at=ctx.now,
        note=f"{word} {reason}".strip(),
    )
    if outcome is Outcome.RATE:
        # named: with two reports waiting, a bare 满意 must say which one it rated
        await ctx.reply(
            texts.RATING_THANKS_REPORT.format(number=found.number, place=found.place, rating=word)
        )
        return
    assert found.assignee_id is not None  # the rules reopen only a report someone has
    updated = await ctx.uow.reports.reopen(
        report_id=found.id,
        by=ctx.sender.id,
        at=ctx.now,
        reason=reason or None,
        resolve_due=ctx.now + timedelta(hours=resolve_hours(ctx, found.category)),
    )
    if updated is None:  # reopened by another follower a moment ago: their rating stands too
        await _refuse_changed(ctx, found, Verb.RATE, reason)
    worker = await ctx.uow.people.get(person_id=found.assignee_id)
    await ctx.tell(
        worker,
        texts.REOPEN_ALERT.format(
            number=found.number,
            name=ctx.sender.name,
            reason=reason or texts.NO_REASON,
            alert=await alert_text(ctx, updated),
        ),
        ticket_buttons(updated),
    )
    await ctx.reply(texts.RATING_REOPENED.format(number=found.number, worker=worker.name))


async def answer_reason(ctx: Context, args: str) -> None:
    """The answer to "what is wrong with H1?" (asked after a bare 不满意): the reason."""
    pending = await ctx.asked()
    if pending is None:
        return
    reason = args.strip()
    if not reason:
        await ctx.reply(texts.RATING_ASK_REASON.format(number=pending.text))
        return
    await ctx.answered()
    await rate(ctx, "不满意", f"{pending.text} {reason}")


async def status_text(ctx: Context, found: Report) -> str:
    if found.status == OPEN:
        return texts.STATUS_OPEN
    if found.status == ACKNOWLEDGED and found.assignee_id is not None:
        worker = await ctx.uow.people.get(person_id=found.assignee_id)
        return texts.STATUS_ACKED.format(worker=worker.name)
    return texts.STATUS_RESOLVED


async def history(ctx: Context, args: str) -> None:
    """H3: a report's state and audit trail, for those involved in it."""
    found, _ = await _ticket(ctx, args, texts.TICKET_USAGE.format(verb="查询"))
    await _decided(ctx, found, Verb.VIEW)
    lines = [
        texts.HISTORY_HEADER.format(
            number=found.number,
            place=found.place,
            category=found.category,
            text=found.text,
            status=await status_text(ctx, found),
        )
    ]
    for event in await ctx.uow.reports.events(report_id=found.id):
        who = ""
        if event.actor_id is not None:
            who = f"（{(await ctx.uow.people.get(person_id=event.actor_id)).name}）"
        lines.append(
            texts.HISTORY_LINE.format(
                time=ctx.fmt(event.at),
                what=texts.EVENT_NAMES.get(event.kind, event.kind),
                who=who,
                note=f"：{event.note}" if event.note and event.kind != "filed" else "",
            )
        )
    await ctx.reply_privately("\n".join(lines))


async def my_reports(ctx: Context) -> list[str]:
    """Lines for 我的: the sender's reports not yet resolved."""
    found = await ctx.uow.reports.active_of_reporter(person_id=ctx.sender.id)
    return [
        texts.MY_LINE.format(
            number=r.number,
            place=r.place,
            text=r.text + ("" if r.reporter_id == ctx.sender.id else texts.MY_FOLLOWED),
            status=await status_text(ctx, r),
        )
        for r in found
    ]


async def tickets(ctx: Context, args: str) -> None:
    """工单: a worker's open tickets with their deadlines."""
    level = None  # the community and the branch also see what has been escalated to them
    if ctx.sender.has_any("community"):
        level = 1
    if ctx.sender.has_any("branch", "admin"):
        level = 2 if level is None else level
    found = await ctx.uow.reports.active_of_assignee(
        person_id=ctx.sender.id, escalated_to_level=level
    )
    if not found:
        await ctx.reply_privately(texts.TICKETS_NONE)
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
    await ctx.reply_privately("\n".join(lines))


COMMANDS = (
    Command(
        name="acknowledge",
        english="Take a ticket: /ack H1",
        keywords=("接单",),
        slash=("ack",),
        handler=acknowledge,
        summary="接单 H1 —— 接下工单",
        usage=texts.TICKET_USAGE.format(verb="接单"),
        roles=WORKERS | {"volunteer"},
    ),
    Command(
        name="resolve",
        english="Resolve a ticket: /resolve H1 note",
        keywords=("办结",),
        slash=("resolve",),
        handler=resolve,
        summary="办结 H1 处理说明 —— 办结工单并告知上报人",
        usage=texts.RESOLVE_USAGE,
        roles=WORKERS | {"volunteer"},
    ),
    Command(
        name="reassign",
        english="Hand a ticket on: /reassign H1 5栋",
        keywords=("转派",),
        slash=("reassign",),
        handler=reassign,
        summary="转派 H1 5栋 / 转派 H1 陈刚 —— 转给其他网格或工作人员",
        usage=texts.REASSIGN_USAGE,
        roles=WORKERS,
    ),
    Command(
        name="note",
        english="Tell the reporter: /note H1 text",
        keywords=("备注",),
        slash=("note",),
        handler=note,
        summary="备注 H1 说明 —— 给上报的居民留言",
        usage=texts.NOTE_USAGE,
        roles=WORKERS,
    ),
    Command(
        name="tickets",
        english="My open tickets",
        keywords=("工单",),
        slash=("tickets",),
        handler=tickets,
        summary="工单 —— 查看我的待办工单",
        usage="工单",
        roles=WORKERS,
        takes_args=False,
    ),
    Command(
        name="follow",
        english="Me too: follow a report, /metoo H1",
        keywords=("我也遇到", "我也反映"),
        slash=("metoo",),
        handler=follow,
        summary="我也遇到 H1 —— 关注别人已上报的同一问题",
        usage=texts.FOLLOW_USAGE,
    ),
    *(
        Command(
            name=f"rate_{rating}",
            keywords=(word,),
            slash=(f"rate_{rating}",),
            handler=rating_handler(word),
            summary="满意 / 基本满意 / 不满意 原因 —— 评价已办结的上报"
            if rating == "satisfied"
            else "",
            usage=texts.RESOLVE_ASK_RATING,
            english=f"Rate a resolved report: {word}",
            private_only=True,
        )
        for word, rating in RATINGS.items()
    ),
    Command(
        name="history",
        english="A report's progress: /status H1",
        keywords=("进度", "查询"),
        slash=("status",),
        handler=history,
        summary="H1 或 进度 H1 —— 查看上报的处理经过",
        usage=texts.TICKET_USAGE.format(verb="进度"),
        pattern=r"[Hh]\d{1,9}",
    ),
)

CONTINUATIONS = {
    ASK_REASON: Command(
        name="rating_reason",
        keywords=(),
        slash=(),
        handler=answer_reason,
        summary="",
        usage=texts.RATING_NEED_REASON.format(number="H1"),
    ),
}

FEATURE = Feature(name="tickets", commands=COMMANDS, continuations=CONTINUATIONS)
