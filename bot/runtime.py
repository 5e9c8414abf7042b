"""`linli run`: every enabled platform in one process and one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging

from bot.adapters.base import Adapter
from bot.app import App
from bot.config import Config
from bot.lease import Lease
from bot.ops import OpsServer
from bot.scheduler import DueSweep
from handlers.clock import SystemClock
from storage import Database

log = logging.getLogger(__name__)


async def run_communities(configs: list[Config]) -> int:
    """Several communities in one process: each with its own database, accounts and groups,
    so none sees another's reports; all in one event loop."""
    if len({c.storage.url for c in configs}) < len(configs):
        log.error("each community needs a database of its own (storage.url)")
        return 2
    results = await asyncio.gather(*(run_platforms(c) for c in configs))
    return max(results)


async def run_platforms(cfg: Config) -> int:
    """Start the enabled platforms and run until interrupted."""
    platforms = cfg.enabled_platforms(console=False)
    if not platforms:
        log.error(
            "no platform is enabled: set telegram.enabled or wechat.enabled, or use `linli console`"
        )
        return 2
    adapters: dict[str, Adapter] = {}
    clock = SystemClock()
    async with Database(cfg.storage.url) as db:
        app = App(cfg, db, clock, adapters, platforms=platforms)
        await app.start()
        async with contextlib.AsyncExitStack() as stack:
            for platform in platforms:
                adapters[platform] = await stack.enter_async_context(_adapter(platform, cfg, app))
            await app.resume_voice()  # voice messages a stopped process had not answered
            await stack.enter_async_context(DueSweep(app))
            if cfg.ops.enabled:
                ops = await stack.enter_async_context(
                    OpsServer(
                        db,
                        app.metrics,
                        adapters,
                        host=cfg.ops.listen,
                        port=cfg.ops.port,
                        intake=app.intake,
                    )
                )
                log.info("health and metrics on http://%s:%d/", cfg.ops.listen, ops.port)
            if cfg.web.enabled:
                from bot.web.server import WebServer

                workbench = await stack.enter_async_context(WebServer(app, cfg.web))
                log.info("the web workbench on %s/", workbench.url)
            # what start-up made (modules, the config, the directory, the platforms' clients)
            # lives as long as the process: the cyclic collector need not walk it again, and
            # its full collections were among the loop's longest stalls
            gc.freeze()
            sender = asyncio.create_task(app.sender.run(), name="sender")
            try:
                await asyncio.Event().wait()  # until cancelled (Ctrl-C, SIGTERM)
            finally:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sender
    return 0


def _adapter(
    platform: str, cfg: Config, app: App
) -> contextlib.AbstractAsyncContextManager[Adapter]:
    if platform == "telegram":
        from bot.adapters.telegram import MenuEntry, TelegramAdapter

        menu = [MenuEntry(name, zh, en) for name, zh, en in app.menu()]

        async def telegram_back() -> None:
            await app.platform_back("telegram")

        return TelegramAdapter(
            cfg.telegram,
            app.handle,
            menu=menu,
            intake=app,
            on_online=telegram_back,
            handle_batch=app.handle_batch,
        )
    if platform == "wechat":
        from bot.adapters.wechat import WechatAdapter

        async def problem(text: str) -> None:
            await app.alert_admins(f"【微信】{text}", avoid="wechat")

        async def online() -> None:
            await app.platform_back("wechat")

        # held under the sender's name: one name per worker in the database
        lease = Lease(
            app.db, SystemClock(), f"wechat:{cfg.wechat.endpoint}", holder=app.sender.worker
        )
        return WechatAdapter(
            cfg.wechat,
            app.handle,
            on_problem=problem,
            on_online=online,
            lease=lease,
            dead_letter=app.dead_letter,
        )
    raise SystemExit(f"the {platform} adapter is not available in this version")
