"""我的: everything the sender has going — reports, meals, events."""

from __future__ import annotations

from handlers import texts
from handlers.context import Context
from handlers.feature import Feature
from handlers.meals import my_meals
from handlers.orders import my_orders
from handlers.registry import Command
from handlers.rsvp import my_events
from handlers.tickets import my_reports


async def my(ctx: Context, args: str) -> None:
    """我的: the sender's open reports, upcoming meals and events."""
    reports = await my_reports(ctx)
    sections = [[texts.MY_HEADER, *reports]] if reports else []
    for lines in (await my_orders(ctx), await my_meals(ctx), await my_events(ctx)):
        if lines:
            sections.append(lines)
    if not sections:
        await ctx.reply_privately(texts.MY_NONE)
        return
    await ctx.reply_privately("\n\n".join("\n".join(s) for s in sections))


COMMANDS = (
    Command(
        name="my",
        # what residents say for it: 我的上报 and 我的工单 for their reports, 我的报餐 …
        keywords=("我的", "我的上报", "我的工单", "我的报餐", "我的活动", "我的预约"),
        slash=("my",),
        handler=my,
        summary="我的 —— 查看我未办结的上报、报的餐、报名的活动",
        english="My open reports and meals",
        usage="我的",
        takes_args=False,
    ),
)


FEATURE = Feature(name="mine", commands=COMMANDS)
