"""`linli console`: the bot on this machine, no platform account, demo and test bench in one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.adapters.console import ConsoleAdapter, Tick
from bot.app import App
from bot.config import Config
from handlers.clock import ManualClock
from storage import Database

CLOCK_KEY = "console_clock"  # where the console's simulated time has got to

BANNER = """邻里 linli 控制台 —— {community}
  王辉: 上报 3栋 楼道飞线充电     （王辉在群里说）
  李娜> 接单 H1                   （李娜私聊机器人）
  /tick 31m                       （时间前进31分钟）
  Ctrl-D 退出
"""


async def lines_from(stream: TextIO, prompt: str | None) -> AsyncIterator[str]:
    """Lines of a stream, read off the event loop."""
    while True:
        if prompt is not None:
            try:
                line = await asyncio.to_thread(input, prompt)
            except EOFError:
                return
            yield line
            continue
        line = await asyncio.to_thread(stream.readline)
        if not line:
            return
        yield line


async def run_console(
    cfg: Config,
    lines: AsyncIterator[str],
    out: TextIO,
    *,
    echo: bool,
    start: datetime | None = None,
) -> int:
    """Handle each line, and deliver all it causes, before reading the next; 0 at the end."""
    if start is None and cfg.console.start:
        start = datetime.fromisoformat(cfg.console.start)
    async with Database(cfg.storage.url) as db:
        # the simulated time never goes back on a database: history stays in order
        async with db.unit_of_work() as uow:
            saved = await uow.people.get_meta(key=CLOCK_KEY)
        reached = datetime.fromisoformat(saved) if saved else None
        if reached is not None and reached > (start or datetime.now(UTC)):
            if start is not None:
                local = reached.astimezone(ZoneInfo(cfg.community.timezone))
                out.write(f"（数据库的时间已到 {local:%Y-%m-%d %H:%M}，从那里继续）\n")
            start = reached
        clock = ManualClock(start)
        adapter = ConsoleAdapter(clock, out)
        app = App(cfg, db, clock, {"console": adapter}, platforms=("console",))
        await app.start()
        await app.run_due()
        if await app.resume_voice():  # voice messages a stopped run had not answered
            await app.voice.settle()
        await app.sender.drain()
        async for line in lines:
            if not await take_line(app, adapter, clock, line, out, echo=echo):
                continue
            await app.sender.drain()
            await _keep_time(db, clock)
            out.flush()
        await app.sender.drain()
        await _keep_time(db, clock)
    return 0


async def take_line(
    app: App, adapter: ConsoleAdapter, clock: ManualClock, line: str, out: TextIO, *, echo: bool
) -> bool:
    """One line typed in the console (`linli console`, `linli web`): a message, a /tick or a
    note; whether it was a message or a tick (something may now be due to send)."""
    if echo and line.strip():
        out.write(f"» {line.rstrip()}\n")
    parsed = adapter.parse(line)
    if parsed is None:
        return False
    if isinstance(parsed, str):
        out.write(f"（{parsed}）\n")
        return False
    if isinstance(parsed, Tick):
        local = (clock.now() + parsed.delta).astimezone(app.settings.timezone)
        out.write(f"（时间前进到 {local:%Y-%m-%d %H:%M}）\n")
        await app.advance(clock, parsed.delta)
    else:
        await app.handle(parsed)
        await app.voice.settle()  # a voice line is answered before the next line
    return True


async def _keep_time(db: Database, clock: ManualClock) -> None:
    async with db.unit_of_work() as uow:
        await uow.people.set_meta(key=CLOCK_KEY, value=clock.now().isoformat())
