"""The numbers the community is judged by, computed in SQL over a period."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.reports import ACKNOWLEDGED, RESOLVED
from storage.schema import (
    buildings,
    event_rsvps,
    events,
    grids,
    meal_signups,
    report_events,
    report_ratings,
    reports,
)

GOOD_RATINGS = ("satisfied", "basic")


@dataclass
class Tally:
    """Counts for one slice of the reports (a month, a category, a grid)."""

    received: int = 0
    resolved: int = 0
    acknowledged_in_time: int = 0
    overdue: int = 0
    rated: int = 0
    satisfied: int = 0

    def add(self, other: Tally) -> None:
        for name in (
            "received",
            "resolved",
            "acknowledged_in_time",
            "overdue",
            "rated",
            "satisfied",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class PeriodStats:
    total: Tally = field(default_factory=Tally)
    by_category: dict[str, Tally] = field(default_factory=dict)
    by_grid: dict[str, Tally] = field(default_factory=dict)
    ack_minutes: list[float] = field(default_factory=list)  # each acknowledged report
    resolve_minutes: list[float] = field(default_factory=list)  # each resolved report
    by_week_category: dict[tuple[int, str], int] = field(default_factory=dict)
    meals_by_day: dict[date, int] = field(default_factory=dict)  # portions signed up
    events: list[tuple[str, str, int]] = field(default_factory=list)  # number, title, places


class StatsRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def period(
        self, *, start: datetime, end: datetime, first_day: date, last_day: date, unknown_grid: str
    ) -> PeriodStats:
        """Everything about reports received in [start, end), meals and events of the days."""
        escalated = (
            sa.select(report_events.c.id)
            .where(
                report_events.c.report_id == reports.c.id,
                report_events.c.kind == "escalated",
            )
            .exists()
        )
        overdue = (
            sa.select(report_events.c.id)
            .where(
                report_events.c.report_id == reports.c.id,
                report_events.c.kind.in_(("escalated", "resolve_overdue")),
            )
            .exists()
        )
        latest = (
            sa.select(
                report_ratings.c.report_id,
                report_ratings.c.person_id,
                sa.func.max(report_ratings.c.id).label("id"),
            )
            .group_by(report_ratings.c.report_id, report_ratings.c.person_id)
            .subquery()
        )
        ratings = (
            sa.select(
                report_ratings.c.report_id.label("report_id"),
                sa.func.count().label("rated"),
                sa.func.sum(sa.case((report_ratings.c.rating.in_(GOOD_RATINGS), 1), else_=0)).label(
                    "good"
                ),
            )
            .join(latest, latest.c.id == report_ratings.c.id)
            .group_by(report_ratings.c.report_id)
            .subquery()
        )
        grid_name = sa.func.coalesce(grids.c.name, unknown_grid).label("grid")
        query = (
            sa.select(
                reports.c.category,
                grid_name,
                reports.c.created_at,
                reports.c.acknowledged_at,
                reports.c.resolved_at,
                reports.c.status,
                escalated.label("escalated"),
                overdue.label("overdue"),
                sa.func.coalesce(ratings.c.rated, 0).label("rated"),
                sa.func.coalesce(ratings.c.good, 0).label("good"),
            )
            .select_from(reports)
            .outerjoin(buildings, buildings.c.name == reports.c.building)
            .outerjoin(grids, grids.c.id == buildings.c.grid_id)
            .outerjoin(ratings, ratings.c.report_id == reports.c.id)
            .where(reports.c.created_at >= start, reports.c.created_at < end)
        )
        stats = PeriodStats()
        for row in await self._conn.execute(query):
            t = Tally(
                received=1,
                resolved=int(row.status == RESOLVED),
                acknowledged_in_time=int(
                    row.acknowledged_at is not None
                    and not row.escalated
                    and row.status in (ACKNOWLEDGED, RESOLVED)
                ),
                overdue=int(bool(row.overdue)),
                rated=int(row.rated),
                satisfied=int(row.good),
            )
            stats.total.add(t)
            stats.by_category.setdefault(row.category, Tally()).add(t)
            stats.by_grid.setdefault(row.grid, Tally()).add(t)
            created = row.created_at  # UtcDateTime: aware on every backend
            if row.acknowledged_at is not None:
                stats.ack_minutes.append((row.acknowledged_at - created).total_seconds() / 60)
            if row.resolved_at is not None and row.status == RESOLVED:
                stats.resolve_minutes.append((row.resolved_at - created).total_seconds() / 60)
            week = min(4, (created - start).days // 7)
            key = (week, row.category)
            stats.by_week_category[key] = stats.by_week_category.get(key, 0) + 1
        meals = await self._conn.execute(
            sa.select(meal_signups.c.day, sa.func.sum(meal_signups.c.portions))
            .where(
                meal_signups.c.day >= first_day,
                meal_signups.c.day <= last_day,
                meal_signups.c.status == "active",
            )
            .group_by(meal_signups.c.day)
            .order_by(meal_signups.c.day)
        )
        stats.meals_by_day = {d: int(n) for d, n in meals}
        places = sa.func.coalesce(sa.func.sum(1 + event_rsvps.c.guests), 0)
        rows = await self._conn.execute(
            sa.select(events.c.id, events.c.title, places)
            .select_from(events)
            .outerjoin(
                event_rsvps,
                (event_rsvps.c.event_id == events.c.id) & (event_rsvps.c.status == "going"),
            )
            .where(
                events.c.starts_at >= start,
                events.c.starts_at < end,
                events.c.status != "cancelled",
            )
            .group_by(events.c.id, events.c.title)
            .order_by(events.c.id)
        )
        stats.events = [(f"E{i}", title, int(n)) for i, title, n in rows]
        return stats
