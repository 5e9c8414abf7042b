"""`linli web`: the workbench beside the console chat, for a demo on one machine — log in
with the code printed as the bot's private message, act on the page, and watch the
residents' chat answers appear in the terminal."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import TextIO

from bot.adapters.console import ConsoleAdapter
from bot.app import App
from bot.config import Config
from bot.console import take_line
from bot.web.server import WebServer
from handlers.clock import ManualClock
from storage import Database

POLL_SECONDS = 0.3


async def run_web_console(
    cfg: Config,
    lines: AsyncIterator[str],
    out: TextIO,
    *,
    echo: bool,
    start: datetime | None = None,
) -> int:
    """Serve the workbench and handle console lines as `linli console` does; once the input
    ends, keep serving until interrupted."""
    clock = ManualClock(start)
    adapter = ConsoleAdapter(clock, out)
    async with Database(cfg.storage.url) as db:
        app = App(cfg, db, clock, {"console": adapter}, platforms=("console",))
        await app.start()
        await app.run_due()
        await app.sender.drain()
        async with WebServer(app, cfg.web) as server:
            out.write(f"（社区工作台：{server.url}/ ，用配置中的工作人员姓名登录）\n")
            out.flush()
            # one deliverer at a time: the console's drain after each line (so a script reads
            # in order) and a look every POLL_SECONDS for what the page's actions queued
            turn = asyncio.Lock()

            async def deliver() -> None:
                async with turn:
                    await app.sender.drain()
                out.flush()

            async def keep_delivering() -> None:
                while True:
                    await asyncio.sleep(POLL_SECONDS)
                    await deliver()

            sender = asyncio.create_task(keep_delivering(), name="web-demo-sender")
            try:
                async for line in lines:
                    await take_line(app, adapter, clock, line, out, echo=echo)
                    await deliver()
                out.write("（输入已结束，工作台继续运行，Ctrl-C 退出）\n")
                out.flush()
                await asyncio.Event().wait()
            finally:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sender
    return 0
