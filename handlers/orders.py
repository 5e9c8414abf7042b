"""点单: community services ordered by residents, routed to the partner who provides them,
acknowledged and closed with feedback like reports, with their own deadline; the shared
verbs on S-numbers (接单 S1, 办结 S1 说明, 满意 S1) are handled here (see FEATURE)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NoReturn

from handlers import texts
from handlers.chat import Button
from handlers.context import Context, UserError
from handlers.feature import Due, Feature
from handlers.places import find_place
from handlers.registry import Command, NumberHandler
from handlers.settings import Service
from handlers.ticket_rules import Actor, Outcome, Refusal, Verb, decide_order
from handlers.when import DayError, day_label, parse_day
from storage import NotFound
from storage.orders import OPEN, ServiceOrder

RATINGS = texts.RATING_WORDS


def catalogue(ctx: Context) -> str:
    return "、".join(s.name for s in ctx.settings.services) or "（暂无）"


def _service(ctx: Context, name: str) -> Service:
    for service in ctx.settings.services:
        if service.name == name:
            return service
    raise UserError(texts.ORDER_UNKNOWN.format(service=name, services=catalogue(ctx)))


async def place_order(ctx: Context, args: str) -> None:
    """点单 理发 5栋1单元102 周六上午."""
    name, _, rest = args.strip().partition(" ")
    if not name:
        raise UserError(texts.ORDER_USAGE.format(services=catalogue(ctx)))
    service = _service(ctx, name)
    rest = rest.strip()
    place = find_place(rest, ctx.settings.building_aliases)
    if place is not None:
        address = place.label
        rest = (rest[: place.start] + rest[place.end :]).strip()
    elif ctx.sender.address:
        address = ctx.sender.address
    else:
        raise UserError(texts.ORDER_NO_ADDRESS.format(service=service.name))
    try:
        day = parse_day(rest, ctx.today)
    except DayError as exc:
        raise UserError(str(exc)) from None
    if day is not None and day[0] < ctx.today:
        raise UserError(texts.ORDER_PAST.format(day=day_label(day[0], ctx.today)))
    provider = await ctx.uow.people.find_by_name(name=service.provider)
    assert provider is not None  # the config checks every provider is a known person
    order = await ctx.uow.orders.place(
        service=service.name,
        address=address,
        wanted=rest or None,
        requester_id=ctx.sender.id,
        provider_id=provider.id,
        at=ctx.now,
        ack_due=ctx.now + timedelta(hours=service.ack_hours),
    )
    await ctx.tell(
        provider,
        texts.ORDER_ALERT.format(
            number=order.number,
            service=service.name,
            address=address,
            wanted=rest or "未说明",
            requester=ctx.sender.name,
            deadline=ctx.fmt(order.ack_due or ctx.now),
        ),
        [
            Button(f"接单 {order.number}", f"接单 {order.number}"),
            Button(f"办结 {order.number}", f"办结 {order.number}"),
        ],
    )
    await ctx.reply(
        texts.ORDER_PLACED.format(
            number=order.number,
            service=service.name,
            wanted=f"，{rest}" if rest else "",
            provider=provider.name,
        )
    )


async def _order(ctx: Context, number: int) -> ServiceOrder:
    try:
        return await ctx.uow.orders.get(order_id=number)
    except NotFound:
        raise UserError(texts.ORDER_NO_SUCH.format(number=f"S{number}")) from None


async def _decided(
    ctx: Context, order: ServiceOrder, verb: Verb, words: str = "", rating: str | None = None
) -> Outcome:
    """What the verb does to the order, per the ticket rules; a refusal is raised."""
    actor = Actor(
        # the provider, or staff standing in for them
        responder=order.provider_id == ctx.sender.id or ctx.sender.has_any("admin", "community"),
        resident=order.requester_id == ctx.sender.id,
    )
    decision = decide_order(order.status, actor, verb, words=words, rating=rating)
    if isinstance(decision, Refusal):
        raise UserError(decision.text(order.number))
    return decision


async def _refuse_changed(
    ctx: Context, order: ServiceOrder, verb: Verb, words: str = ""
) -> NoReturn:
    """The order changed between reading and writing it: the refusal its state now calls for."""
    now = await ctx.uow.orders.get(order_id=order.id)
    decision = await _decided(ctx, now, verb, words)
    raise AssertionError(f"{now.number}: {verb.value} refused by storage, allowed as {decision}")


async def acknowledge(ctx: Context, number: int, _rest: str) -> None:
    """接单 S1, for the provider."""
    order = await _order(ctx, number)
    await _decided(ctx, order, Verb.ACKNOWLEDGE)
    if await ctx.uow.orders.acknowledge(order_id=order.id, at=ctx.now) is None:
        await _refuse_changed(ctx, order, Verb.ACKNOWLEDGE)
    await ctx.reply(texts.ORDER_ACKED.format(number=order.number))
    requester = await ctx.uow.people.get(person_id=order.requester_id)
    await ctx.tell(
        requester,
        texts.ORDER_ACKED_REQUESTER.format(
            number=order.number, service=order.service, provider=ctx.sender.name
        ),
    )


async def resolve(ctx: Context, number: int, note: str) -> None:
    """办结 S1 说明: done; the resident is asked to rate it."""
    order = await _order(ctx, number)
    await _decided(ctx, order, Verb.RESOLVE, note)
    if await ctx.uow.orders.resolve(order_id=order.id, at=ctx.now, note=note or None) is None:
        await _refuse_changed(ctx, order, Verb.RESOLVE, note)
    await ctx.reply(texts.ORDER_DONE.format(number=order.number))
    requester = await ctx.uow.people.get(person_id=order.requester_id)
    await ctx.tell(
        requester,
        texts.ORDER_DONE_REQUESTER.format(
            number=order.number, service=order.service, note=note or texts.NO_NOTE
        ),
        [Button(word, f"{word} {order.number}", choice=True) for word in RATINGS],
    )


def rating(word: str) -> NumberHandler:
    """The handler of one verdict on an order: 满意 S1, 基本满意 S1 or 不满意 S1 原因."""

    async def rate_it(ctx: Context, number: int, reason: str) -> None:
        await rate(ctx, number, word, reason)

    return rate_it


async def rate(ctx: Context, number: int, word: str, reason: str) -> None:
    """满意 S1 / 不满意 S1 原因: the resident's verdict; 不满意 sends it back."""
    order = await _order(ctx, number)
    outcome = await _decided(ctx, order, Verb.RATE, reason, RATINGS[word])
    if outcome is Outcome.RATE:
        if await ctx.uow.orders.rate(order_id=order.id, rating=RATINGS[word]) is None:
            await _refuse_changed(ctx, order, Verb.RATE, reason)
        await ctx.reply(texts.ORDER_RATED.format(rating=word))
        return
    if await ctx.uow.orders.reopen(order_id=order.id) is None:
        await _refuse_changed(ctx, order, Verb.RATE, reason)
    provider = await ctx.uow.people.get(person_id=order.provider_id)
    await ctx.tell(
        provider,
        texts.REOPEN_ALERT.format(
            number=order.number,
            name=ctx.sender.name,
            reason=reason or texts.NO_REASON,
            alert=f"{order.service}（{order.address}）",
        ),
        [Button(f"办结 {order.number}", f"办结 {order.number}")],
    )
    await ctx.reply(texts.RATING_REOPENED.format(number=order.number, worker=provider.name))


async def my_orders(ctx: Context) -> list[str]:
    """Lines for 我的: the sender's service orders not yet done."""
    found = await ctx.uow.orders.active_of_requester(person_id=ctx.sender.id)
    lines = []
    for o in found:
        if o.status == OPEN:
            status = texts.STATUS_OPEN
        else:
            provider = await ctx.uow.people.get(person_id=o.provider_id)
            status = texts.STATUS_ACKED.format(worker=provider.name)
        wanted = f"（{o.wanted}）" if o.wanted else ""
        lines.append(
            texts.MY_ORDER_LINE.format(
                number=o.number, service=o.service, wanted=wanted, status=status
            )
        )
    return [texts.MY_ORDERS_HEADER, *lines] if lines else []


async def chase_orders(ctx: Context) -> int:
    """An order not acknowledged in time: the provider is reminded and the community told."""
    found = await ctx.uow.orders.unacknowledged_due(now=ctx.now)
    done = 0
    for order in found:
        if not await ctx.uow.orders.mark_reminded(order_id=order.id):
            continue
        done += 1
        provider = await ctx.uow.people.get(person_id=order.provider_id)
        await ctx.tell(
            provider,
            texts.ORDER_REMIND.format(
                number=order.number, service=order.service, address=order.address
            ),
        )
        hours = round((ctx.now - order.created_at).total_seconds() / 3600)
        for person in await ctx.uow.people.with_role(role="community"):
            await ctx.tell(
                person,
                texts.ORDER_OVERDUE.format(
                    number=order.number,
                    service=order.service,
                    address=order.address,
                    provider=provider.name,
                    hours=hours,
                ),
            )
    return done


async def next_order_wake(ctx: Context) -> datetime | None:
    return await ctx.uow.orders.next_ack_due(after=ctx.now)


COMMANDS = (
    Command(
        name="order",
        keywords=("点单",),
        slash=("order",),
        handler=place_order,
        summary="点单 理发 5栋1单元102 周六上午 —— 预约社区服务",
        english="Order a community service: /order 理发 5栋1单元102 周六上午",
        usage=texts.ORDER_USAGE,
    ),
)

FEATURE = Feature(
    name="orders",
    commands=COMMANDS,
    due=(Due(chase_orders, next_order_wake),),
    verbs={"S": {"接单": acknowledge, "办结": resolve, **{w: rating(w) for w in RATINGS}}},
)
