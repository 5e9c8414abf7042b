"""APScheduler in the bot process: wakes the one code path that runs what is due.

The database is the truth of what is scheduled: the notice jobs are rebuilt from it at
start and after every change. A job does not post anything itself; it runs `App.run_due`,
which claims each occurrence in the database before posting, so an occurrence happens
once even with a restart or a second process on the same database."""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.app import App
from handlers.schedules import cron_trigger

log = logging.getLogger(__name__)

DUE_JOB = "due"
NOTICE_PREFIX = "notice:"


class Scheduler:
    """An AsyncIOScheduler holding one job per active notice, plus a frequent 'due' sweep."""

    def __init__(self, app: App, *, sweep_seconds: float = 15.0) -> None:
        self.app = app
        tz = app.settings.timezone
        self.scheduler = AsyncIOScheduler(timezone=tz)
        grace = int(timedelta(minutes=app.settings.notices.grace_minutes).total_seconds())
        self._grace = max(1, grace)
        self.scheduler.add_job(
            self._run_due,
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

    async def rebuild(self) -> None:
        """Make the notice jobs match the database."""
        async with self.app.db.unit_of_work() as uow:
            active = await uow.notices.scheduled()
        wanted = {f"{NOTICE_PREFIX}{n.id}": n for n in active}
        for job in self.scheduler.get_jobs():
            if job.id.startswith(NOTICE_PREFIX) and job.id not in wanted:
                job.remove()
        tz = self.app.settings.timezone
        for job_id, notice in wanted.items():
            trigger = (
                cron_trigger(notice.cron, tz)
                if notice.cron
                else DateTrigger(run_date=notice.run_at or notice.next_run_at, timezone=tz)
            )
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
