"""帮助 / /help: what the bot can do, for the asker's roles."""

from __future__ import annotations

from handlers import texts
from handlers.context import Context
from handlers.registry import Command, Registry

# The names the commands' examples are written with (the demo community's). In another
# community the help shows its own grid workers, grids and buildings instead, so nobody is
# told to hand a report to a 陈刚 who does not exist there.
DEMO_WORKERS = ("李娜", "陈刚")
DEMO_GRID = "第一网格"
DEMO_BUILDINGS = ("3栋", "5栋")
DEMO_OTHERS = ("郭先德", "李四")  # an elder, a newcomer: any name will do
STAND_IN = "张三"  # the name a Chinese example uses for "someone"


async def community_examples(ctx: Context) -> dict[str, str]:
    """What each demo name in the examples becomes in the running community."""
    swap: dict[str, str] = {}
    workers = [p.name for p in await ctx.uow.people.with_role(role="grid_worker")]
    for demo, name in zip(DEMO_WORKERS, [*workers, STAND_IN, STAND_IN], strict=False):
        swap[demo] = name
    grids = [g.name for g in await ctx.uow.people.all_grids()]
    swap[DEMO_GRID] = grids[0] if grids else DEMO_GRID
    for demo in DEMO_OTHERS:
        if await ctx.uow.people.find_by_name(name=demo) is None:
            swap[demo] = STAND_IN
    buildings = await ctx.uow.people.all_buildings()
    for demo, there in zip(DEMO_BUILDINGS, [*buildings[2:], *buildings], strict=False):
        if demo not in buildings:
            swap[demo] = there
    return {demo: name for demo, name in swap.items() if demo != name}


def localise(text: str, swap: dict[str, str]) -> str:
    """The examples of a text with the running community's names."""
    for demo, name in swap.items():
        text = text.replace(demo, name)
    return text


def help_command(registry: Registry) -> Command:
    """The help command, listing what `registry` offers to each asker."""

    async def show_help(ctx: Context, args: str) -> None:
        lines = [texts.HELP_HEADER.format(community=ctx.settings.community.name)]
        lines += [f"· {c.summary}" for c in registry.visible_to(ctx.sender.roles) if c.summary]
        lines.append(texts.HELP_FOOTER)
        await ctx.reply(localise("\n".join(lines), await community_examples(ctx)))

    return Command(
        name="help",
        english="What the bot can do",
        keywords=("帮助", "help", "Help", "?", "？"),
        slash=("help", "start"),
        handler=show_help,
        summary="帮助 —— 查看可以做什么",
        usage="帮助",
        takes_args=False,
    )
