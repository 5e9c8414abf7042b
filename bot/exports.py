"""`linli export`: the same files the canteen and admins get in chat, from the command line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.config import Config
from handlers.clock import SystemClock
from handlers.context import Context
from handlers.meals import export_meals
from storage import Database


async def export_meals_file(cfg: Config, day: date, meals: tuple[str, ...], out: Path) -> int:
    """Write a day's meal sign-ups to `out` (.xlsx or .csv); returns the number of rows."""
    async with Database(cfg.storage.url) as db, db.unit_of_work() as uow:
        ctx = Context(uow=uow, clock=SystemClock(), settings=cfg.settings(platforms=()))
        return await export_meals(ctx, day, meals, out)
