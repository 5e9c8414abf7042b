"""Operations: /healthz and Prometheus /metrics on a local port."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from handlers.clock import Clock
from storage import Database

STUCK_AFTER = timedelta(minutes=10)  # a pending row older than this: the outbox is stuck
INTAKE_STUCK_AFTER = timedelta(seconds=120)  # no inbound progress this long, messages waiting


class Metrics:
    """The bot's own metrics, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.handled = Counter(
            "linli_messages_handled_total",
            "Messages handled, by command",
            ["platform", "command"],
            registry=r,
        )
        self.handler_seconds = Histogram(
            "linli_handler_seconds", "Time from Incoming to committed outbox rows", registry=r
        )
        self.sends = Counter(
            "linli_sends_total",
            "Send attempts, by platform and result",
            ["platform", "result"],
            registry=r,
        )
        self.due_work = Counter(
            "linli_due_work_total",
            "Things done when due (escalations, notices, …), by job",
            ["job"],
            registry=r,
        )
        self.scheduler_lag = Gauge(
            "linli_scheduler_lag_seconds", "How late the last due moment was acted on", registry=r
        )
        self.outbox_pending = Gauge("linli_outbox_pending", "Outbox rows waiting", registry=r)
        self.outbox_oldest = Gauge(
            "linli_outbox_oldest_seconds", "Age of the oldest waiting outbox row", registry=r
        )
        self.dead_letters = Counter(
            "linli_dead_letters_total",
            "Inbound updates set aside (unparseable or failing), by platform and stage",
            ["platform", "stage"],
            registry=r,
        )
        self.strangers = Counter(
            "linli_unserved_messages_total",
            "Messages from chats the bot does not serve (not routed), by platform",
            ["platform"],
            registry=r,
        )


class IntakeWatch:
    """Whether inbound is moving: messages handed to the app and not yet done (the database
    refusing them, so they are tried again), and when the last one was done."""

    def __init__(self, clock: Clock, stuck_after: timedelta = INTAKE_STUCK_AFTER) -> None:
        self._clock = clock
        self.stuck_after = stuck_after
        self._pending: dict[tuple[str, str], datetime] = {}
        self.last_progress = clock.now()

    def begin(self, platform: str, message_id: str) -> None:
        self._pending.setdefault((platform, message_id), self._clock.now())

    def done(self, platform: str, message_id: str) -> None:
        self._pending.pop((platform, message_id), None)
        self.last_progress = self._clock.now()

    @property
    def pending(self) -> int:
        return len(self._pending)

    def stuck_for(self) -> float:
        """Seconds without progress while messages wait; 0 when moving or idle."""
        if not self._pending:
            return 0.0
        now = self._clock.now()
        since = max(self.last_progress, min(self._pending.values()))
        return max(0.0, (now - since).total_seconds())

    @property
    def stuck(self) -> bool:
        return self.stuck_for() > self.stuck_after.total_seconds()


class OpsServer:
    """Serves /healthz (database, platforms, outbox) and /metrics on a local address."""

    def __init__(
        self,
        db: Database,
        metrics: Metrics,
        adapters: Mapping[str, Any],
        *,
        host: str = "127.0.0.1",
        port: int = 9108,
        intake: IntakeWatch | None = None,
    ) -> None:
        self._intake = intake
        self._db = db
        self._metrics = metrics
        self._adapters = adapters
        self._host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> OpsServer:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics_page)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _outbox(self) -> tuple[int, float]:
        async with self._db.unit_of_work() as uow:
            pending, oldest = await uow.outbox.backlog()
        age = max(0.0, time.time() - oldest.timestamp()) if oldest is not None else 0.0
        return pending, age

    async def _healthz(self, request: web.Request) -> web.Response:
        report: dict[str, Any] = {}
        ok = True
        try:
            pending, age = await self._outbox()
            report["database"] = "ok"
            stuck = age > STUCK_AFTER.total_seconds()
            report["outbox"] = {"pending": pending, "oldest_seconds": round(age, 1), "stuck": stuck}
            ok = not stuck
        except Exception as exc:  # the database is down: say so, do not raise
            report["database"] = f"error: {type(exc).__name__}"
            ok = False
        if self._intake is not None:
            stuck_for = self._intake.stuck_for()
            stuck = stuck_for > self._intake.stuck_after.total_seconds()
            report["intake"] = {
                "pending": self._intake.pending,
                "stuck_seconds": round(stuck_for, 1),
                "stuck": stuck,
            }
            ok = ok and not stuck
        platforms = {name: bool(getattr(a, "healthy", True)) for name, a in self._adapters.items()}
        report["platforms"] = {k: "ok" if v else "down" for k, v in platforms.items()}
        ok = ok and all(platforms.values())
        return web.Response(
            status=200 if ok else 503,
            content_type="application/json",
            text=json.dumps({"ok": ok, **report}, ensure_ascii=False),
        )

    async def _metrics_page(self, request: web.Request) -> web.Response:
        try:
            pending, age = await self._outbox()
            self._metrics.outbox_pending.set(pending)
            self._metrics.outbox_oldest.set(age)
        except Exception:  # the page still answers; the gauges keep their last values
            pass
        body = generate_latest(self._metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
