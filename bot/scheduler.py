"""One sweep runs what is due, and sleeps until the next thing falls due.

The database is the truth of what is scheduled; each feature declares, beside each due
job, when it next has something due (handlers.feature.Due; notices' fire times come from
APScheduler's triggers, handlers/schedules.py). The sweep runs `App.run_due` — every job
claims what it does in the database first, so it happens once even across a restart or a
second worker — then asks for the earliest next moment and sleeps until then, touching
no database in between. It is woken early by a message this process handled (it may
have set a deadline: a burst is looked at once, `settle` seconds after it began) and at
once by a change of the notices. Deadlines another worker on the same database set are
run by that worker; they are seen here too within `resync` seconds, in case it died.
The one grace rule for a late occurrence is the notices' own (notices.grace_minutes)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from bot.app import App

log = logging.getLogger(__name__)

RESYNC_SECONDS = 300.0
SETTLE_SECONDS = 1.0


def seconds_until(nxt: datetime | None, now: datetime, *, resync: float) -> float:
    """How long the sweep sleeps: until `nxt`, and never longer than `resync`."""
    if nxt is None:
        return resync
    return min(resync, max(0.0, (nxt - now).total_seconds()))


class DueSweep:
    """Runs `App.run_due` when something falls due, and only then (plus a rare resync)."""

    def __init__(
        self, app: App, *, resync: float = RESYNC_SECONDS, settle: float = SETTLE_SECONDS
    ) -> None:
        self.app = app
        self.resync = resync
        self.settle = settle
        self.next_at: datetime | None = None  # when the sweep next wakes by itself
        self.sleeping = asyncio.Event()  # set while it waits (tests await it, not a clock)
        self.looks = 0  # how many times it has looked at what is due
        self._woken = asyncio.Event()
        self._urgent = False
        self._task: asyncio.Task[None] | None = None

    def wake(self, urgent: bool = False) -> None:
        """Something may have changed what is due: look again (at once when `urgent`)."""
        self._urgent = self._urgent or urgent
        self._woken.set()

    async def sweep(self) -> datetime | None:
        """Run what is due now; return when something next falls due."""
        try:
            await self.app.run_due()
            self.next_at = await self.app.next_due_at()
        except Exception:
            log.exception("running what is due failed; trying again shortly")
            self.next_at = None  # looked at again within `resync`
        self.looks += 1
        return self.next_at

    async def run(self) -> None:
        """Sweep, sleep until the next due moment or a wake-up, for ever."""
        while True:
            self._woken.clear()  # before looking: a wake-up meanwhile makes another look
            self._urgent = False
            nxt = await self.sweep()
            wait = seconds_until(nxt, self.app.clock.now(), resync=self.resync)
            self.sleeping.set()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._woken.wait()
            self.sleeping.clear()
            if self._woken.is_set() and not self._urgent and self.settle:
                # a message was handled: the rest of its burst is looked at together
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.settle):
                        while not self._urgent:
                            self._woken.clear()
                            await self._woken.wait()

    async def __aenter__(self) -> DueSweep:
        self.app.on_due_change = self.wake
        self._task = asyncio.create_task(self.run(), name="due sweep")
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.app.on_due_change = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
