"""What the web workbench reads and keeps: login codes, the filtered report list, the
open reports by building, a report's ratings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from storage.conn import Conn, off_loop
from storage.reports import ACKNOWLEDGED, ACTIVE, OPEN, Report
from storage.schema import (
    buildings,
    events,
    grid_workers,
    inserted_id,
    people,
    proposals,
    report_followers,
    report_ratings,
    reports,
    web_login_codes,
)

# the sort orders a list may ask for, by name: never a column name from the request
SORTS = ("created", "due", "building", "category", "status")
PAGE_SIZE = 50


@dataclass(frozen=True)
class LoginCode:
    id: int
    person_id: int
    code_hash: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    attempts: int


@dataclass(frozen=True)
class ReportFilter:
    """What the list shows; every field optional. `scope_person`: a grid worker, who sees
    the buildings of their grids and what is assigned to them."""

    status: str | None = None  # open, acknowledged, resolved, active
    grid_id: int | None = None
    building: str | None = None
    category: str | None = None
    overdue: bool = False
    urgent: bool = False
    start: datetime | None = None  # filed in [start, end)
    end: datetime | None = None
    text: str | None = None
    scope_person: int | None = None


@dataclass(frozen=True)
class ReportRow:
    report: Report
    assignee_name: str | None


@dataclass(frozen=True)
class Rating:
    person_name: str
    rating: str
    reason: str | None
    at: datetime


@dataclass(frozen=True)
class BuildingLoad:
    building: str
    open: int
    urgent: int
    overdue: int


def overdue_clause(now: datetime) -> sa.ColumnElement[bool]:
    """Past its acknowledgement or resolution deadline and not yet resolved."""
    return sa.or_(
        sa.and_(reports.c.status == OPEN, reports.c.ack_due < now),
        sa.and_(reports.c.status == ACKNOWLEDGED, reports.c.resolve_due < now),
    )


def scope_clause(person_id: int) -> sa.ColumnElement[bool]:
    """The reports a grid worker answers for: their grids' buildings, or assigned to them."""
    theirs = (
        sa.select(buildings.c.name)
        .join(grid_workers, grid_workers.c.grid_id == buildings.c.grid_id)
        .where(grid_workers.c.person_id == person_id)
    )
    return sa.or_(reports.c.building.in_(theirs), reports.c.assignee_id == person_id)


class WorkbenchRepository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    # -- login codes

    async def add_code(
        self, *, person_id: int, code_hash: str, at: datetime, expires_at: datetime
    ) -> int:
        """Keep a new one-time code (its hash) for a person."""
        result = await self._conn.execute(
            web_login_codes.insert().values(
                person_id=person_id,
                code_hash=code_hash,
                created_at=at,
                expires_at=expires_at,
                attempts=0,
            )
        )
        return inserted_id(result)

    async def codes_since(self, *, person_id: int, since: datetime) -> int:
        """How many codes a person was sent since `since` (the rate limit)."""
        n = await self._conn.scalar(
            sa.select(sa.func.count())
            .select_from(web_login_codes)
            .where(web_login_codes.c.person_id == person_id, web_login_codes.c.created_at >= since)
        )
        return int(n or 0)

    async def latest_code(self, *, person_id: int) -> LoginCode | None:
        """The person's newest code, used or not."""
        row = (
            await self._conn.execute(
                web_login_codes.select()
                .where(web_login_codes.c.person_id == person_id)
                .order_by(web_login_codes.c.id.desc())
                .limit(1)
            )
        ).first()
        return None if row is None else LoginCode(**row._asdict())

    async def count_attempt(self, *, code_id: int) -> None:
        """One more wrong guess at a code."""
        await self._conn.execute(
            web_login_codes.update()
            .where(web_login_codes.c.id == code_id)
            .values(attempts=web_login_codes.c.attempts + 1)
        )

    async def use_code(self, *, code_id: int, at: datetime) -> bool:
        """Mark a code used; False if it already was (a second tab, a replay)."""
        result = await self._conn.execute(
            web_login_codes.update()
            .where(web_login_codes.c.id == code_id, web_login_codes.c.used_at.is_(None))
            .values(used_at=at)
        )
        return result.rowcount == 1

    # -- reports

    def _where(self, f: ReportFilter, now: datetime) -> list[sa.ColumnElement[bool]]:
        where: list[sa.ColumnElement[bool]] = []
        if f.scope_person is not None:
            where.append(scope_clause(f.scope_person))
        if f.status == "active":
            where.append(reports.c.status.in_(ACTIVE))
        elif f.status is not None:
            where.append(reports.c.status == f.status)
        if f.grid_id is not None:
            grid = sa.select(buildings.c.name).where(buildings.c.grid_id == f.grid_id)
            where.append(reports.c.building.in_(grid))
        if f.building is not None:
            where.append(reports.c.building == f.building)
        if f.category is not None:
            where.append(reports.c.category == f.category)
        if f.overdue:
            where.append(overdue_clause(now))
        if f.urgent:
            where.append(reports.c.urgent.is_(True))
        if f.start is not None:
            where.append(reports.c.created_at >= f.start)
        if f.end is not None:
            where.append(reports.c.created_at < f.end)
        if f.text:
            # a plain substring: no wildcard in the text means anything, and it is cheaper
            # than LIKE (the text search scans every report)
            find = sa.func.instr if self._conn.dialect.name == "sqlite" else sa.func.strpos
            where.append(find(reports.c.text, f.text) > 0)
        return where

    async def list_reports(
        self,
        f: ReportFilter,
        *,
        now: datetime,
        sort: str = "created",
        descending: bool = True,
        offset: int = 0,
        limit: int = PAGE_SIZE,
    ) -> tuple[list[ReportRow], int]:
        """One page of the reports `f` selects, and how many it selects in all."""
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}")
        where = self._where(f, now)
        # a count, a text search or a deep page scans many reports: off the event loop
        total = await self._conn.scalar(
            off_loop(sa.select(sa.func.count()).select_from(reports).where(sa.true(), *where))
        )
        key: sa.ColumnElement[Any] = {
            # numbers are given in filing order: the primary key is the filing order, and
            # scanning it is what keeps a text search or a deep page fast
            "created": reports.c.id,
            "due": sa.func.coalesce(reports.c.ack_due, reports.c.resolve_due),
            "building": reports.c.building,
            "category": reports.c.category,
            "status": reports.c.status,
        }[sort]
        order = [key.desc(), reports.c.id.desc()] if descending else [key.asc(), reports.c.id]
        # the page's ids first (from the index or the table alone), then only their rows
        page_ids = list(
            (
                await self._conn.scalars(
                    off_loop(
                        sa.select(reports.c.id)
                        .where(sa.true(), *where)
                        .order_by(*order)
                        .offset(offset)
                        .limit(limit)
                    )
                )
            ).all()
        )
        if not page_ids:
            return [], int(total or 0)
        assignee = people.alias("assignee")
        query = (
            sa.select(reports, assignee.c.name.label("assignee_name"))
            .select_from(reports.outerjoin(assignee, assignee.c.id == reports.c.assignee_id))
            .where(reports.c.id.in_(page_ids))
        )
        found: dict[int, ReportRow] = {}
        for r in await self._conn.execute(query):
            values = r._asdict()
            name = values.pop("assignee_name")
            found[values["id"]] = ReportRow(Report(**values), name)
        rows = [found[i] for i in page_ids if i in found]
        return rows, int(total or 0)

    async def count_reports(self, f: ReportFilter, *, now: datetime) -> int:
        """How many reports `f` selects."""
        n = await self._conn.scalar(
            off_loop(
                sa.select(sa.func.count())
                .select_from(reports)
                .where(sa.true(), *self._where(f, now))
            )
        )
        return int(n or 0)

    async def open_by_building(
        self, *, now: datetime, scope_person: int | None
    ) -> dict[str, BuildingLoad]:
        """Reports not yet resolved, counted by building (urgent and overdue among them)."""
        where: list[sa.ColumnElement[bool]] = [
            reports.c.status.in_(ACTIVE),
            reports.c.building.is_not(None),
        ]
        if scope_person is not None:
            where.append(scope_clause(scope_person))
        query = (
            sa.select(
                reports.c.building,
                sa.func.count(),
                sa.func.sum(sa.case((reports.c.urgent.is_(True), 1), else_=0)),
                sa.func.sum(sa.case((overdue_clause(now), 1), else_=0)),
            )
            .where(*where)
            .group_by(reports.c.building)
        )
        return {
            b: BuildingLoad(b, int(n), int(u or 0), int(o or 0))
            for b, n, u, o in await self._conn.execute(off_loop(query))
        }

    async def ratings(self, *, report_id: int) -> list[Rating]:
        """Every rating of a report, oldest first, with the rater's name."""
        query = (
            sa.select(
                people.c.name, report_ratings.c.rating, report_ratings.c.reason, report_ratings.c.at
            )
            .join(people, people.c.id == report_ratings.c.person_id)
            .where(report_ratings.c.report_id == report_id)
            .order_by(report_ratings.c.id)
        )
        return [Rating(*r) for r in await self._conn.execute(query)]

    async def follower_names(self, *, report_id: int) -> list[str]:
        """The names of a report's followers, in the order they joined."""
        query = (
            sa.select(people.c.name)
            .join(report_followers, report_followers.c.person_id == people.c.id)
            .where(report_followers.c.report_id == report_id)
            .order_by(report_followers.c.at)
        )
        return list((await self._conn.scalars(query)).all())

    async def buildings(self) -> list[tuple[str, int | None]]:
        """Every building with its grid."""
        rows = await self._conn.execute(
            sa.select(buildings.c.name, buildings.c.grid_id).order_by(buildings.c.name)
        )
        return [(r[0], r[1]) for r in rows]

    async def event_ids(self, *, since: datetime, limit: int = 100) -> list[int]:
        """Events (open, closed or cancelled) that start after `since`, soonest first."""
        ids = await self._conn.scalars(
            sa.select(events.c.id)
            .where(events.c.starts_at > since)
            .order_by(events.c.starts_at, events.c.id)
            .limit(limit)
        )
        return list(ids.all())

    async def proposal_ids(self, *, limit: int = 50) -> list[int]:
        """The latest proposals (表决), newest first."""
        ids = await self._conn.scalars(
            sa.select(proposals.c.id).order_by(proposals.c.id.desc()).limit(limit)
        )
        return list(ids.all())
