"""Hazard reports (H1, H2, …) and their audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from storage.conn import Conn, insert, new_id, off_loop
from storage.errors import NotFound
from storage.schema import (
    UtcDateTime,
    report_events,
    report_followers,
    report_ratings,
    reports,
)

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

    @property
    def public_place(self) -> str:
        """Where it is, as a group may read it: the building alone (a unit or room is the
        reporter's, and private)."""
        return self.building or self.place


@dataclass(frozen=True)
class Location:
    """Where a report is handed on to (转派 H1 5栋2单元)."""

    building: str
    unit: str | None
    room: str | None


@dataclass(frozen=True)
class ReportEvent:
    kind: str
    actor_id: int | None
    at: datetime
    note: str | None


# built once and executed with their parameters (the hot path: every report)
_FILE = reports.insert()
_ADD_EVENT = report_events.insert()


class ReportRepository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn
        # reports filed by this unit of work, with their audit trail as written here: until
        # it commits nobody else can add to it, and it has no followers unless added here
        # (following one forgets it), so rendering a report just filed asks the database nothing
        self._fresh: dict[int, list[ReportEvent]] = {}

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
        rid = new_id(
            await insert(
                self._conn,
                _FILE,
                {
                    "reporter_id": reporter_id,
                    "building": building,
                    "known_building": known_building,
                    "unit": unit,
                    "room": room,
                    "text": text,
                    "category": category,
                    "urgent": urgent,
                    "status": OPEN,
                    "assignee_id": assignee_id,
                    "level": level,
                    "origin_platform": origin_platform,
                    "origin_chat": origin_chat,
                    "photo": photo,
                    "created_at": at,
                    "ack_due": ack_due,
                    "filed_by_id": filed_by_id,
                    "resolve_reminded": False,
                },
            )
        )
        self._fresh[rid] = []
        await self.add_event(
            report_id=rid, kind="filed", actor_id=filed_by_id or reporter_id, at=at, note=text
        )
        # the row as written (as read back it would be, the times in UTC): not read again
        return Report(
            id=rid,
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
            created_at=at.astimezone(UTC),
            ack_due=ack_due.astimezone(UTC),
            acknowledged_at=None,
            resolve_due=None,
            resolved_at=None,
            resolution=None,
            filed_by_id=filed_by_id,
            resolve_reminded=False,
            recheck_due=None,
        )

    async def get(self, *, report_id: int) -> Report:
        """The report with this id; NotFound otherwise."""
        row = (await self._conn.execute(reports.select().where(reports.c.id == report_id))).first()
        if row is None:
            raise NotFound(f"H{report_id}")
        return Report(**row._asdict())

    # --- transitions: each changes a report only if it still is as the caller expects, records
    # its event, and returns the report as it now is — None when it was not (another worker, or
    # another person, got there first)

    async def acknowledge(
        self, *, report_id: int, by: int, at: datetime, resolve_due: datetime
    ) -> Report | None:
        """接单: an open report is taken by `by`, to be resolved by `resolve_due`."""
        return await self._change(
            report_id,
            reports.c.status == OPEN,
            dict(
                status=ACKNOWLEDGED,
                assignee_id=by,
                acknowledged_at=at,
                resolve_due=resolve_due,
                resolve_reminded=False,
            ),
            kind="acknowledged",
            actor_id=by,
            at=at,
        )

    async def resolve(
        self, *, report_id: int, by: int, at: datetime, note: str, recheck_due: datetime | None
    ) -> Report | None:
        """办结: an unresolved report is resolved. Whoever took it stays its assignee; one
        never taken becomes `by`'s, taken now."""
        return await self._change(
            report_id,
            reports.c.status.in_(ACTIVE),
            dict(
                status=RESOLVED,
                assignee_id=sa.case(
                    (reports.c.status == ACKNOWLEDGED, reports.c.assignee_id),
                    else_=sa.literal(by, sa.Integer),
                ),
                acknowledged_at=sa.func.coalesce(
                    reports.c.acknowledged_at, sa.literal(at, UtcDateTime())
                ),
                resolved_at=at,
                resolution=note,
                recheck_due=recheck_due,
            ),
            kind="resolved",
            actor_id=by,
            at=at,
            note=note,
        )

    async def reassign(
        self,
        *,
        report_id: int,
        to: int,
        by: int,
        at: datetime,
        ack_due: datetime,
        who: str,
        place: Location | None = None,
    ) -> Report | None:
        """转派: an unresolved report goes to `to`, open again, to be taken by `ack_due`;
        with a place, to that building's grid (level 0). `who`: the names it went to."""
        values: dict[str, object] = dict(
            assignee_id=to,
            status=OPEN,
            acknowledged_at=None,
            resolve_due=None,
            ack_due=ack_due,
        )
        if place is not None:
            values.update(
                building=place.building,
                known_building=True,
                level=0,
                unit=place.unit,
                room=place.room,
            )
        return await self._change(
            report_id,
            reports.c.status.in_(ACTIVE),
            values,
            kind="reassigned",
            actor_id=by,
            at=at,
            note=who,
        )

    async def reopen(
        self, *, report_id: int, by: int, at: datetime, reason: str | None, resolve_due: datetime
    ) -> Report | None:
        """不满意: a resolved report goes back to its assignee, taken, due by `resolve_due`."""
        return await self._change(
            report_id,
            reports.c.status == RESOLVED,
            dict(
                status=ACKNOWLEDGED,
                resolved_at=None,
                resolution=None,
                recheck_due=None,
                resolve_reminded=False,
                resolve_due=resolve_due,
            ),
            kind="reopened",
            actor_id=by,
            at=at,
            note=reason,
        )

    async def escalate(
        self,
        *,
        seen: Report,
        level: int,
        assignee_id: int,
        ack_due: datetime,
        at: datetime,
        level_name: str,
    ) -> Report | None:
        """Not taken in time: an open report, still at the level and deadline `seen` had,
        goes up to `level`, to be taken by `ack_due`."""
        return await self._change(
            seen.id,
            sa.and_(
                reports.c.status == OPEN,
                reports.c.level == seen.level,
                reports.c.ack_due == seen.ack_due,
            ),
            dict(level=level, assignee_id=assignee_id, ack_due=ack_due),
            kind="escalated",
            actor_id=None,
            at=at,
            note=level_name,
        )

    async def remind_overdue(
        self, *, seen: Report, grace_until: datetime, at: datetime
    ) -> Report | None:
        """Not resolved in time, first: the assignee has until `grace_until` (taken reports
        still due as `seen` was and not yet reminded)."""
        return await self._change(
            seen.id,
            self._still_overdue(seen, reminded=False),
            dict(resolve_reminded=True, resolve_due=grace_until),
            kind="resolve_overdue",
            actor_id=None,
            at=at,
        )

    async def escalate_overdue(
        self, *, seen: Report, level: int, resolve_due: datetime, at: datetime, level_name: str
    ) -> Report | None:
        """Not resolved after the reminder's grace: up to `level`, due by `resolve_due`."""
        return await self._change(
            seen.id,
            self._still_overdue(seen, reminded=True),
            dict(level=level, resolve_reminded=False, resolve_due=resolve_due),
            kind="resolve_escalated",
            actor_id=None,
            at=at,
            note=level_name,
        )

    async def renew_overdue(self, *, seen: Report, resolve_due: datetime) -> Report | None:
        """Not resolved after the reminder's grace, with nobody above: the reminders start
        over, due by `resolve_due` (no event: nothing was handed on)."""
        return await self._change(
            seen.id,
            self._still_overdue(seen, reminded=True),
            dict(resolve_reminded=False, resolve_due=resolve_due),
        )

    async def take_recheck(self, *, seen: Report, at: datetime) -> Report | None:
        """回头看 fallen due: taken once, by whoever finds the re-check still as `seen`."""
        return await self._change(
            seen.id,
            sa.and_(reports.c.status == RESOLVED, reports.c.recheck_due == seen.recheck_due),
            dict(recheck_due=None),
            kind="recheck",
            actor_id=None,
            at=at,
        )

    @staticmethod
    def _still_overdue(seen: Report, *, reminded: bool) -> sa.ColumnElement[bool]:
        return sa.and_(
            reports.c.status == ACKNOWLEDGED,
            reports.c.resolve_due == seen.resolve_due,
            reports.c.resolve_reminded.is_(reminded),
        )

    async def _change(
        self,
        report_id: int,
        expected: sa.ColumnElement[bool],
        values: dict[str, object],
        *,
        kind: str | None = None,
        actor_id: int | None = None,
        at: datetime | None = None,
        note: str | None = None,
    ) -> Report | None:
        result = await self._conn.execute(
            reports.update().where(reports.c.id == report_id, expected).values(**values)
        )
        if result.rowcount != 1:
            return None
        if kind is not None:
            assert at is not None
            await self.add_event(
                report_id=report_id, kind=kind, actor_id=actor_id, at=at, note=note
            )
        return await self.get(report_id=report_id)

    async def add_event(
        self, *, report_id: int, kind: str, actor_id: int | None, at: datetime, note: str | None
    ) -> None:
        """Append to a report's audit trail."""
        await insert(
            self._conn,
            _ADD_EVENT,
            {"report_id": report_id, "kind": kind, "actor_id": actor_id, "at": at, "note": note},
        )
        if report_id in self._fresh:
            self._fresh[report_id].append(ReportEvent(kind, actor_id, at.astimezone(UTC), note))

    async def events(self, *, report_id: int) -> list[ReportEvent]:
        """A report's audit trail, oldest first."""
        if report_id in self._fresh:
            return list(self._fresh[report_id])
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
        self._fresh.pop(report_id, None)  # its followers are the database's to tell from now
        await self._conn.execute(
            report_followers.insert().values(report_id=report_id, person_id=person_id, at=at)
        )
        return True

    async def followers(self, *, report_id: int) -> list[int]:
        """Ids of the people following a report, in the order they joined."""
        if report_id in self._fresh:
            return []
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
        """Reports filed in [start, end), in order (a month's: read off the event loop)."""
        where = (reports.c.created_at >= start) & (reports.c.created_at < end)
        return await self._select(where, many=True)

    async def _select(self, where: sa.ColumnElement[bool], *, many: bool = False) -> list[Report]:
        statement = reports.select().where(where).order_by(reports.c.id)
        rows = await self._conn.execute(off_loop(statement) if many else statement)
        return [Report(**r._asdict()) for r in rows]
