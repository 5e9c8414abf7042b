"""Households, their 邻长 and the visits to them; the chain of leads above the 邻长."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from storage.conn import Conn
from storage.directory import DirectoryView
from storage.schema import household_members, households, inserted_id, people, visits


@dataclass(frozen=True)
class Household:
    id: int
    address: str
    building: str
    key: bool
    reason: str | None
    lead_id: int | None
    area: float | None
    created_at: datetime


@dataclass(frozen=True)
class Visit:
    household_id: int
    by_id: int
    at: datetime
    note: str | None


class HouseholdRepository:
    def __init__(self, conn: Conn, directory: DirectoryView | None = None) -> None:
        self._conn = conn
        self._dir = directory if directory is not None else DirectoryView(conn)

    async def upsert(
        self,
        *,
        address: str,
        building: str,
        key: bool,
        reason: str | None,
        lead_id: int | None,
        members: list[int],
        area: float | None,
        at: datetime,
    ) -> Household:
        """Make a household agree with the config (or with an admin's change)."""
        existing = await self.by_address(address=address)
        values = dict(building=building, key=key, reason=reason, lead_id=lead_id, area=area)
        if existing is None:
            hid = inserted_id(
                await self._conn.execute(
                    households.insert().values(address=address, created_at=at, **values)
                )
            )
        else:
            hid = existing.id
            await self._conn.execute(
                households.update().where(households.c.id == hid).values(**values)
            )
        await self._conn.execute(
            household_members.delete().where(household_members.c.household_id == hid)
        )
        for pid in dict.fromkeys(members):
            await self._conn.execute(
                household_members.insert().values(household_id=hid, person_id=pid)
            )
        found = await self.by_address(address=address)
        assert found is not None
        return found

    async def by_address(self, *, address: str) -> Household | None:
        row = (
            await self._conn.execute(households.select().where(households.c.address == address))
        ).first()
        return None if row is None else Household(**row._asdict())

    async def every(self) -> list[Household]:
        rows = await self._conn.execute(households.select().order_by(households.c.id))
        return [Household(**r._asdict()) for r in rows]

    async def of_lead(self, *, lead_id: int) -> list[Household]:
        rows = await self._conn.execute(
            households.select().where(households.c.lead_id == lead_id).order_by(households.c.id)
        )
        return [Household(**r._asdict()) for r in rows]

    async def leads(self) -> list[int]:
        """Everyone who looks after at least one household."""
        ids = await self._conn.scalars(
            sa.select(households.c.lead_id).where(households.c.lead_id.is_not(None)).distinct()
        )
        return sorted(ids)

    async def members(self, *, household_id: int) -> list[int]:
        ids = await self._conn.scalars(
            sa.select(household_members.c.person_id)
            .where(household_members.c.household_id == household_id)
            .order_by(household_members.c.person_id)
        )
        return list(ids)

    async def of_person(self, *, person_id: int) -> Household | None:
        """The household a person belongs to."""
        hid = await self._conn.scalar(
            sa.select(household_members.c.household_id).where(
                household_members.c.person_id == person_id
            )
        )
        if hid is None:
            return None
        row = (await self._conn.execute(households.select().where(households.c.id == hid))).first()
        return None if row is None else Household(**row._asdict())

    async def log_visit(
        self, *, household_id: int, by_id: int, at: datetime, note: str | None
    ) -> None:
        await self._conn.execute(
            visits.insert().values(household_id=household_id, by_id=by_id, at=at, note=note)
        )

    async def last_visit(self, *, household_id: int) -> Visit | None:
        row = (
            await self._conn.execute(
                visits.select()
                .where(visits.c.household_id == household_id)
                .order_by(visits.c.at.desc(), visits.c.id.desc())
                .limit(1)
            )
        ).first()
        return None if row is None else Visit(row.household_id, row.by_id, row.at, row.note)

    async def visited_between(self, *, household_id: int, start: datetime, end: datetime) -> bool:
        found = await self._conn.scalar(
            sa.select(sa.func.count())
            .select_from(visits)
            .where(visits.c.household_id == household_id, visits.c.at >= start, visits.c.at < end)
        )
        return bool(found)

    async def set_leader(self, *, person_id: int, leader_id: int | None) -> None:
        await self._conn.execute(
            people.update().where(people.c.id == person_id).values(leader_id=leader_id)
        )
        await self._dir.changed()

    async def leader_of(self, *, person_id: int) -> int | None:
        leader: int | None = await self._conn.scalar(
            sa.select(people.c.leader_id).where(people.c.id == person_id)
        )
        return leader
