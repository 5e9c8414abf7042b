"""APScheduler in the bot process: wakes the one code path that runs what is due.

The database is the truth of what is scheduled: the notice jobs are rebuilt from it at
start and after every change — made through this worker (at once) or through another
worker on the same database (at the next sweep, which sees the changed schedule
version). A job does not post anything itself; it runs `App.run_due`, which claims each
occurrence in the database before posting, so an occurrence happens once even with a
restart or a second process on the same database."""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.app import SCHEDULE_VERSION, App
from handlers.when import cron_trigger

log = logging.getLogger(__name__)

DUE_JOB = "due"
NOTICE_PREFIX = "notice:"


class Scheduler:
    """An AsyncIOScheduler holding one job per active notice, plus a frequent 'due' sweep."""

    def __init__(self, app: App, *, sweep_seconds: float = 15.0) -> None:
        self.app = app
        tz = app.settings.timezone
        self.scheduler = AsyncIOScheduler(timezone=tz)
        grace_minutes = app.settings.announcement_settings.grace_minutes
        grace = int(timedelta(minutes=grace_minutes).total_seconds())
        self._grace = max(1, grace)
        self._held: dict[str, tuple[str | None, datetime | None]] = {}  # job id → its timing
        self._version: str | None = None  # the schedule version the jobs were built from
        self.scheduler.add_job(
            self._sweep,
            IntervalTrigger(seconds=sweep_seconds, timezone=tz),
            id=DUE_JOB,
            coalesce=True,
            max_instances=1,
        )

    async def _run_due(self) -> None:
        try:
            await self.app.run_due()
        except Exception:
            log.exception("running what is due failed; the next wake-up tries again")

    async def _sweep(self) -> None:
        """The frequent sweep: rebuild the jobs if another worker changed the notices, then
        run what is due."""
        try:
            async with self.app.db.unit_of_work() as uow:
                version = await uow.people.get_meta(key=SCHEDULE_VERSION)
            if version != self._version:
                await self.rebuild()
        except Exception:
            log.exception("reading the schedule version failed; the next sweep tries again")
        await self._run_due()

    async def rebuild(self) -> None:
        """Make the notice jobs match the database (only what changed is touched)."""
        async with self.app.db.unit_of_work() as uow:
            active = await uow.notices.scheduled()
            self._version = await uow.people.get_meta(key=SCHEDULE_VERSION)
        wanted = {f"{NOTICE_PREFIX}{n.id}": n for n in active}
        for job_id in [j for j in self._held if j not in wanted]:
            with contextlib.suppress(JobLookupError):  # a one-off that fired is gone already
                self.scheduler.remove_job(job_id)
            del self._held[job_id]
        tz = self.app.settings.timezone
        triggers: dict[str, CronTrigger] = {}  # one per distinct cron line: jobs share it
        for job_id, notice in wanted.items():
            when = None if notice.cron else (notice.run_at or notice.next_run_at)
            if self._held.get(job_id) == (notice.cron, when) and self.scheduler.get_job(job_id):
                continue
            trigger: BaseTrigger
            if notice.cron:
                if notice.cron not in triggers:
                    triggers[notice.cron] = cron_trigger(notice.cron, tz)
                trigger = triggers[notice.cron]
            else:
                trigger = DateTrigger(when, tz)
            self.scheduler.add_job(
                self._run_due,
                trigger,
                id=job_id,
                name=notice.number,
                replace_existing=True,
                misfire_grace_time=self._grace,
                coalesce=True,
                max_instances=1,
            )
            self._held[job_id] = (notice.cron, when)
        log.info("scheduler: %d notice jobs", len(wanted))

    def notice_jobs(self) -> dict[str, str]:
        """Job id → notice number, as the scheduler holds them."""
        return {j.id: j.name for j in self.scheduler.get_jobs() if j.id.startswith(NOTICE_PREFIX)}

    async def __aenter__(self) -> Scheduler:
        await self.rebuild()
        self.scheduler.start()
        self.app.on_schedule_change = self.rebuild
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.app.on_schedule_change = None
        self.scheduler.shutdown(wait=False)
