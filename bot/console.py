"""`linli console`: the bot on this machine, no platform account, demo and test bench in one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import TextIO

from bot.adapters.console import ConsoleAdapter, Tick
from bot.app import App
from bot.config import Config
from handlers.clock import ManualClock
from storage import Database

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
    clock = ManualClock(start)
    adapter = ConsoleAdapter(clock, out)
    async with Database(cfg.storage.url) as db:
        app = App(cfg, db, clock, {"console": adapter}, platforms=("console",))
        await app.start()
        await app.run_due()
        await app.sender.drain()
        async for line in lines:
            if echo and line.strip():
                out.write(f"» {line.rstrip()}\n")
            parsed = adapter.parse(line)
            if parsed is None:
                continue
            if isinstance(parsed, str):
                out.write(f"（{parsed}）\n")
                continue
            if isinstance(parsed, Tick):
                local = (clock.now() + parsed.delta).astimezone(app.settings.timezone)
                out.write(f"（时间前进到 {local:%Y-%m-%d %H:%M}）\n")
                await app.advance(clock, parsed.delta)
            else:
                await app.handle(parsed)
                await app.voice.settle()  # a voice line is answered before the next line
            await app.sender.drain()
            out.flush()
        await app.sender.drain()
    return 0
