"""帮助 / /help: what the bot can do, for the asker's roles."""

from __future__ import annotations

from handlers import texts
from handlers.context import Context
from handlers.registry import Command, Registry


def help_command(registry: Registry) -> Command:
    """The help command, listing what `registry` offers to each asker."""

    async def show_help(ctx: Context, args: str) -> None:
        lines = [texts.HELP_HEADER.format(community=ctx.settings.community)]
        lines += [f"· {c.summary}" for c in registry.visible_to(ctx.sender.roles) if c.summary]
        lines.append(texts.HELP_FOOTER)
        await ctx.reply("\n".join(lines))

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
