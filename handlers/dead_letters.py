"""Dead letters (死信) in chat, for admins in private: list what was set aside, replay one."""

from __future__ import annotations

import re

from handlers import texts
from handlers.admin import admin_command
from handlers.context import Context, UserError
from handlers.feature import Feature

_LABEL = re.compile(r"^[Dd](\d{1,9})$")


async def list_dead_letters(ctx: Context, args: str) -> None:
    """死信: the updates set aside and not replayed yet, newest first."""
    total = await ctx.uow.dead_letters.count()
    if not total:
        await ctx.reply(texts.DEAD_LETTERS_NONE)
        return
    shown = await ctx.uow.dead_letters.listed(limit=20)
    lines = [texts.DEAD_LETTERS_HEADER.format(count=total)]
    for d in shown:
        lines.append(
            texts.DEAD_LETTER_LINE.format(
                label=d.label,
                time=ctx.fmt(d.created_at),
                platform=d.platform,
                stage=texts.DEAD_LETTER_STAGES.get(d.stage, d.stage),
                reason=d.reason[:120],
                ref=d.ref,
            )
        )
    more = total - len(shown)
    lines.append(texts.DEAD_LETTERS_MORE.format(more=more) if more else texts.DEAD_LETTERS_HINT)
    await ctx.reply("\n".join(lines))


async def replay_dead_letter(ctx: Context, args: str) -> None:
    """重放 D1: claimed here, replayed by the app once this is committed."""
    m = _LABEL.match(args.strip())
    if m is None:
        raise UserError(texts.REPLAY_USAGE)
    label = f"D{int(m.group(1))}"
    found = await ctx.uow.dead_letters.get(int(m.group(1)))
    if found is None:
        raise UserError(texts.REPLAY_UNKNOWN.format(label=label))
    if not await ctx.uow.dead_letters.claim_replay(found.id, at=ctx.now):
        raise UserError(texts.REPLAY_ALREADY.format(label=label))
    ctx.replays.append(found.id)


COMMANDS = (
    admin_command(
        "dead_letters",
        "死信",
        list_dead_letters,
        "死信 —— 无法处理、已搁置的消息 / 重放 D1",
        "死信",
        takes_args=False,
    ),
    admin_command("dead_letter_replay", "重放", replay_dead_letter, "", texts.REPLAY_USAGE),
)


FEATURE = Feature(name="dead_letters", commands=COMMANDS)
