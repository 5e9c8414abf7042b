"""Hazard reports (H1, H2, …) and their audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.errors import NotFound
from storage.schema import inserted_id, report_events, report_followers, report_ratings, reports

OPEN = "open"
ACKNOWLEDGED = "acknowledged"
RESOLVED = "resolved"
ACTIVE = (OPEN, ACKNOWLEDGED)


@dataclass(frozen=True)
class Report:
    id: int
    reporter_id: int
    building: str | None
    known_building: bool
    unit: str | None
    room: str | None
    text: str
    category: str
    urgent: bool
    status: str
    assignee_id: int | None
    level: int
    origin_platform: str
    origin_chat: str
    photo: str | None
    created_at: datetime
    ack_due: datetime | None
    acknowledged_at: datetime | None
    resolve_due: datetime | None
    resolved_at: datetime | None
    resolution: str | None
    filed_by_id: int | None
    resolve_reminded: bool
    recheck_due: datetime | None

    @property
    def number(self) -> str:
        """The number residents see: H1, H2, …"""
        return f"H{self.id}"

    @property
    def place(self) -> str:
        """Building, unit and room as far as they are known."""
        return "".join(p for p in (self.building, self.unit, self.room) if p) or "未注明楼栋"


@dataclass(frozen=True)
class ReportEvent:
    kind: str
    actor_id: int | None
    at: datetime
    note: str | None


class ReportRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def file(
        self,
        *,
        reporter_id: int,
        building: str | None,
        known_building: bool,
        unit: str | None,
        room: str | None,
        text: str,
        category: str,
        urgent: bool,
        assignee_id: int | None,
        level: int,
        origin_platform: str,
        origin_chat: str,
        photo: str | None,
        at: datetime,
        ack_due: datetime,
        filed_by_id: int | None = None,
    ) -> Report:
        """File a new report, open and unacknowledged, with its first event."""
        rid = inserted_id(
            await self._conn.execute(
                reports.insert().values(
                    reporter_id=reporter_id,
                    building=building,
                    known_building=known_building,
                    unit=unit,
                    room=room,
                    text=text,
                    category=category,
                    urgent=urgent,
                    status=OPEN,
                    assignee_id=assignee_id,
                    level=level,
                    origin_platform=origin_platform,
                    origin_chat=origin_chat,
                    photo=photo,
                    created_at=at,
                    ack_due=ack_due,
                    filed_by_id=filed_by_id,
                    resolve_reminded=False,
                )
            )
        )
        await self.add_event(
            report_id=rid, kind="filed", actor_id=filed_by_id or reporter_id, at=at, note=text
        )
        return await self.get(report_id=rid)

    async def get(self, *, report_id: int) -> Report:
        """The report with this id; NotFound otherwise."""
        row = (await self._conn.execute(reports.select().where(reports.c.id == report_id))).first()
        if row is None:
            raise NotFound(f"H{report_id}")
        return Report(**row._asdict())

    async def update_if(
        self, *, report_id: int, expect: dict[str, Any], **values: Any
    ) -> Report | None:
        """Change a report only if it still is as `expect` says — so that of several workers
        acting on the same deadline exactly one does; None if another got there first."""
        conditions = [reports.c[k] == v for k, v in expect.items()]
        result = await self._conn.execute(
            reports.update().where(reports.c.id == report_id, *conditions).values(**values)
        )
        if result.rowcount != 1:
            return None
        return await self.get(report_id=report_id)

    async def update(self, *, report_id: int, **values: Any) -> Report:
        """Change columns of a report and return it as it now is."""
        await self._conn.execute(reports.update().where(reports.c.id == report_id).values(**values))
        return await self.get(report_id=report_id)

    async def add_event(
        self, *, report_id: int, kind: str, actor_id: int | None, at: datetime, note: str | None
    ) -> None:
        """Append to a report's audit trail."""
        await self._conn.execute(
            report_events.insert().values(
                report_id=report_id, kind=kind, actor_id=actor_id, at=at, note=note
            )
        )

    async def events(self, *, report_id: int) -> list[ReportEvent]:
        """A report's audit trail, oldest first."""
        rows = await self._conn.execute(
            report_events.select()
            .where(report_events.c.report_id == report_id)
            .order_by(report_events.c.id)
        )
        return [ReportEvent(r.kind, r.actor_id, r.at, r.note) for r in rows]

    async def active_of_reporter(self, *, person_id: int) -> list[Report]:
        """Reports a person filed, or follows (我也遇到), that are not yet resolved."""
        followed = sa.select(report_followers.c.report_id).where(
            report_followers.c.person_id == person_id
        )
        return await self._select(
            ((reports.c.reporter_id == person_id) | reports.c.id.in_(followed))
            & reports.c.status.in_(ACTIVE)
        )

    async def active_of_assignee(
        self, *, person_id: int, escalated_to_level: int | None = None
    ) -> list[Report]:
        """Unresolved reports assigned to a person, or escalated to a level they oversee."""
        mine = reports.c.assignee_id == person_id
        if escalated_to_level is not None:
            mine = mine | (reports.c.level >= escalated_to_level)
        return await self._select(mine & reports.c.status.in_(ACTIVE))

    async def unacknowledged_due(self, *, now: datetime) -> list[Report]:
        """Open reports whose acknowledgement deadline has passed."""
        return await self._select((reports.c.status == OPEN) & (reports.c.ack_due <= now))

    async def open_duplicate(
        self, *, building: str, category: str, since: datetime
    ) -> Report | None:
        """An unresolved report of the same building and category filed since `since`."""
        found = await self._select(
            (reports.c.building == building)
            & (reports.c.category == category)
            & reports.c.status.in_(ACTIVE)
            & (reports.c.created_at >= since)
        )
        return found[0] if found else None

    async def unresolved_due(self, *, now: datetime) -> list[Report]:
        """Acknowledged reports whose resolution deadline has passed."""
        return await self._select(
            (reports.c.status == ACKNOWLEDGED) & (reports.c.resolve_due <= now)
        )

    async def recheck_due_at(self, *, now: datetime) -> list[Report]:
        """Resolved reports whose re-check (回头看) has fallen due."""
        return await self._select((reports.c.status == RESOLVED) & (reports.c.recheck_due <= now))

    async def next_deadline(self, *, after: datetime) -> datetime | None:
        """The earliest deadline of any report later than `after` (ack, resolve, re-check)."""
        candidates = [
            sa.select(sa.func.min(reports.c.ack_due)).where(
                reports.c.status == OPEN, reports.c.ack_due > after
            ),
            sa.select(sa.func.min(reports.c.resolve_due)).where(
                reports.c.status == ACKNOWLEDGED, reports.c.resolve_due > after
            ),
            sa.select(sa.func.min(reports.c.recheck_due)).where(
                reports.c.status == RESOLVED, reports.c.recheck_due > after
            ),
        ]
        found = [t for q in candidates if (t := await self._conn.scalar(q)) is not None]
        return min(found) if found else None

    async def follow(self, *, report_id: int, person_id: int, at: datetime) -> bool:
        """Add a follower; False if they already followed it."""
        seen = await self._conn.scalar(
            sa.select(sa.func.count())
            .select_from(report_followers)
            .where(
                report_followers.c.report_id == report_id,
                report_followers.c.person_id == person_id,
            )
        )
        if seen:
            return False
        await self._conn.execute(
            report_followers.insert().values(report_id=report_id, person_id=person_id, at=at)
        )
        return True

    async def followers(self, *, report_id: int) -> list[int]:
        """Ids of the people following a report, in the order they joined."""
        ids = await self._conn.scalars(
            sa.select(report_followers.c.person_id)
            .where(report_followers.c.report_id == report_id)
            .order_by(report_followers.c.at, report_followers.c.person_id)
        )
        return list(ids)

    async def rate(
        self, *, report_id: int, person_id: int, rating: str, reason: str | None, at: datetime
    ) -> None:
        """Record one person's rating (评议) of a resolved report."""
        await self._conn.execute(
            report_ratings.insert().values(
                report_id=report_id, person_id=person_id, rating=rating, reason=reason, at=at
            )
        )

    async def awaiting_rating(self, *, person_id: int) -> Report | None:
        """The latest resolved report this person reported or followed and has not rated since."""
        followed = sa.select(report_followers.c.report_id).where(
            report_followers.c.person_id == person_id
        )
        # "since" by the order of the report's events, not by time: a reopened report can be
        # rated, resolved again and asked again within the same minute (or the same instant)
        resolved = report_events.alias("resolved")
        rated = report_events.alias("rated")
        last_resolved = (
            sa.select(sa.func.max(resolved.c.id))
            .where(resolved.c.report_id == reports.c.id, resolved.c.kind == "resolved")
            .scalar_subquery()
        )
        rated_since_resolved = (
            sa.select(rated.c.id)
            .where(
                rated.c.report_id == reports.c.id,
                rated.c.kind == "rated",
                rated.c.actor_id == person_id,
                rated.c.id > last_resolved,
            )
            .exists()
        )
        row = (
            await self._conn.execute(
                reports.select()
                .where(
                    reports.c.status == RESOLVED,
                    sa.or_(reports.c.reporter_id == person_id, reports.c.id.in_(followed)),
                    ~rated_since_resolved,
                )
                .order_by(reports.c.resolved_at.desc(), reports.c.id.desc())
                .limit(1)
            )
        ).first()
        return None if row is None else Report(**row._asdict())

    async def received_between(self, *, start: datetime, end: datetime) -> list[Report]:
        """Reports filed in [start, end), in order."""
        return await self._select((reports.c.created_at >= start) & (reports.c.created_at < end))

    async def _select(self, where: sa.ColumnElement[bool]) -> list[Report]:
        rows = await self._conn.execute(reports.select().where(where).order_by(reports.c.id))
        return [Report(**r._asdict()) for r in rows]
