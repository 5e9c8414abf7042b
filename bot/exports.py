"""`linli export` and `linli stats`: what the canteen and admins get in chat, from a shell."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from bot.config import Config
from handlers.clock import SystemClock
from handlers.context import Context
from handlers.meals import export_meals
from handlers.network import coverage
from handlers.stats import Month, as_dict, export_reports, month_stats
from storage import Database


async def export_meals_file(cfg: Config, day: date, meals: tuple[str, ...], out: Path) -> int:
    """Write a day's meal sign-ups to `out` (.xlsx or .csv); returns the number of rows."""
    async with Database(cfg.storage.url) as db, db.unit_of_work() as uow:
        ctx = Context(uow=uow, clock=SystemClock(), settings=cfg.settings(platforms=()))
        return await export_meals(ctx, day, meals, out)


async def export_reports_file(cfg: Config, month: Month, out: Path) -> int:
    """Write a month's reports with their history to `out`; returns the number of rows."""
    async with Database(cfg.storage.url) as db, db.unit_of_work() as uow:
        ctx = Context(uow=uow, clock=SystemClock(), settings=cfg.settings(platforms=()))
        return await export_reports(ctx, month, out)


async def month_figures(cfg: Config, month: Month) -> dict[str, Any]:
    """A month's statistics as plain data."""
    async with Database(cfg.storage.url) as db, db.unit_of_work() as uow:
        ctx = Context(uow=uow, clock=SystemClock(), settings=cfg.settings(platforms=()))
        figures = as_dict(month, await month_stats(ctx, month))
        by_lead, by_grid = await coverage(ctx)  # this week's, as 统计 in chat shows it
        figures["visit_coverage"] = {"by_lead": by_lead, "by_grid": by_grid}
        return figures
