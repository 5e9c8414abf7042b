"""The numbers the community is judged by, computed in SQL over a period."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from storage.conn import Conn, Rows, off_loop
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
    median_ack_minutes: float | None = None  # filing to acknowledgement
    median_resolve_minutes: float | None = None  # filing to resolution
    by_week_category: dict[tuple[int, str], int] = field(default_factory=dict)
    meals_by_day: dict[date, int] = field(default_factory=dict)  # portions signed up
    events: list[tuple[str, str, int]] = field(default_factory=list)  # number, title, places


class StatsRepository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def _read(self, statement: sa.Select[Any]) -> Rows:
        """A statistics query: over a month's reports, so off the event loop (storage.conn)."""
        return await self._conn.execute(off_loop(statement))

    async def period(
        self, *, start: datetime, end: datetime, first_day: date, last_day: date, unknown_grid: str
    ) -> PeriodStats:
        """Everything about reports received in [start, end), meals and events of the days."""
        in_month = (reports.c.created_at >= start) & (reports.c.created_at < end)
        grid_name = sa.func.coalesce(grids.c.name, unknown_grid)
        week = sa.case(
            *[(reports.c.created_at < start + timedelta(days=7 * (w + 1)), w) for w in range(4)],
            else_=4,
        )
        keys = (reports.c.category, grid_name.label("grid"), week.label("week"))

        def grouped(
            *columns: sa.ColumnElement[Any], source: sa.FromClause = reports
        ) -> sa.Select[Any]:
            """Counts per category, grid and week of the month's reports: the counting happens
            in the database, one row per key comes back however many reports there are."""
            return (
                sa.select(*keys, *columns)
                .select_from(
                    source.outerjoin(buildings, buildings.c.name == reports.c.building).outerjoin(
                        grids, grids.c.id == buildings.c.grid_id
                    )
                )
                .where(in_month)
                .group_by(reports.c.category, grid_name, week)
            )

        def flag(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
            return sa.func.sum(sa.case((condition, 1), else_=0))

        acked = reports.c.acknowledged_at.is_not(None)
        answered = acked & reports.c.status.in_((ACKNOWLEDGED, RESOLVED))
        # `status || ''`: SQLite would otherwise read "resolved" rows of all time through the
        # status index (most rows), rather than the month through ix_reports_period
        resolved = reports.c.resolved_at.is_not(None) & (reports.c.status.op("||")("") == RESOLVED)
        tallies: dict[tuple[str, str, int], Tally] = {}

        def tally(row: sa.Row[Any]) -> Tally:
            return tallies.setdefault((row.category, row.grid, int(row.week)), Tally())

        # 1. the reports themselves, read from ix_reports_period alone
        n_acked = n_resolved = 0
        for row in await self._read(
            grouped(
                sa.func.count().label("received"),
                flag(reports.c.status == RESOLVED).label("resolved"),
                flag(answered).label("answered"),
                flag(acked).label("acked"),
                flag(resolved).label("resolved_timed"),
            )
        ):
            t = tally(row)
            t.received, t.resolved = int(row.received), int(row.resolved or 0)
            t.acknowledged_in_time = int(row.answered or 0)
            n_acked += int(row.acked or 0)
            n_resolved += int(row.resolved_timed or 0)
        # 2. escalated or overdue ones: driven by those (few) events, not by every report
        flagged = (
            sa.select(
                report_events.c.report_id,
                sa.func.max(sa.case((report_events.c.kind == "escalated", 1), else_=0)).label(
                    "escalated"
                ),
            )
            .where(report_events.c.kind.in_(("escalated", "resolve_overdue")))
            .group_by(report_events.c.report_id)
            .subquery()
        )
        for row in await self._read(
            grouped(
                sa.func.count().label("overdue"),
                flag((flagged.c.escalated == 1) & answered).label("late"),
                source=flagged.join(reports, reports.c.id == flagged.c.report_id),
            )
        ):
            t = tally(row)
            t.overdue = int(row.overdue)
            t.acknowledged_in_time -= int(row.late or 0)  # answered, but only after escalation
        # 3. ratings: each person's last rating of each report
        latest = (
            sa.select(sa.func.max(report_ratings.c.id).label("id"))
            .group_by(report_ratings.c.report_id, report_ratings.c.person_id)
            .subquery()
        )
        rated = report_ratings.join(latest, latest.c.id == report_ratings.c.id).join(
            reports, reports.c.id == report_ratings.c.report_id
        )
        for row in await self._read(
            grouped(
                sa.func.count().label("rated"),
                flag(report_ratings.c.rating.in_(GOOD_RATINGS)).label("good"),
                source=rated,
            )
        ):
            t = tally(row)
            t.rated, t.satisfied = int(row.rated), int(row.good or 0)

        stats = PeriodStats()
        for (category, grid, week_no), t in sorted(tallies.items()):
            stats.total.add(t)
            stats.by_category.setdefault(category, Tally()).add(t)
            stats.by_grid.setdefault(grid, Tally()).add(t)
            key = (week_no, category)
            stats.by_week_category[key] = stats.by_week_category.get(key, 0) + t.received
        stats.median_ack_minutes = await self._median(
            reports.c.acknowledged_at, in_month & acked, n_acked
        )
        stats.median_resolve_minutes = await self._median(
            reports.c.resolved_at, in_month & resolved, n_resolved
        )
        meals = await self._read(
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
        rows = await self._read(
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

    def _minutes_since_filing(self, moment: sa.Column[datetime]) -> sa.ColumnElement[Any]:
        """Minutes from filing to `moment`, computed by the database."""
        if self._conn.dialect.name == "sqlite":
            return (sa.func.julianday(moment) - sa.func.julianday(reports.c.created_at)) * 1440
        return sa.extract("epoch", moment - reports.c.created_at) / 60

    async def _median(
        self, moment: sa.Column[datetime], where: sa.ColumnElement[bool], n: int
    ) -> float | None:
        """The median of minutes-since-filing over the `n` rows `where` selects."""
        if n == 0:
            return None
        minutes = self._minutes_since_filing(moment).label("m")
        middle = [
            float(v)
            for v in (
                await self._read(
                    sa.select(minutes)
                    .where(where)
                    .order_by(minutes)
                    .offset((n - 1) // 2)
                    .limit(1 if n % 2 else 2)
                )
            ).scalars()
        ]
        return round(sum(middle) / len(middle), 6)
