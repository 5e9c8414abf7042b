"""Community events (E1, E2, …), their RSVPs and waitlist, and drafts being created."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from storage.conn import Conn
from storage.errors import NotFound
from storage.schema import event_drafts, event_rsvps, event_targets, events, inserted_id

OPEN = "open"
CLOSED = "closed"
CANCELLED = "cancelled"
GOING = "going"
WAITLIST = "waitlist"


@dataclass(frozen=True)
class Event:
    id: int
    title: str
    starts_at: datetime
    place: str
    capacity: int | None
    description: str | None
    status: str
    created_by: int
    created_at: datetime
    reported_count: int
    reported_at: datetime | None
    targets: tuple[str, ...]

    @property
    def number(self) -> str:
        return f"E{self.id}"


@dataclass(frozen=True)
class Rsvp:
    id: int
    event_id: int
    person_id: int
    guests: int
    status: str
    queued_at: datetime
    updated_at: datetime

    @property
    def size(self) -> int:
        """Places it takes: the person and their guests."""
        return 1 + self.guests


@dataclass(frozen=True)
class Draft:
    person_id: int
    title: str | None
    starts_at: datetime | None
    place: str | None


class EventRepository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def create(
        self,
        *,
        title: str,
        starts_at: datetime,
        place: str,
        capacity: int | None,
        description: str | None,
        targets: list[str],
        created_by: int,
        at: datetime,
    ) -> Event:
        """A new open event."""
        eid = inserted_id(
            await self._conn.execute(
                events.insert().values(
                    title=title,
                    starts_at=starts_at,
                    place=place,
                    capacity=capacity,
                    description=description,
                    status=OPEN,
                    created_by=created_by,
                    created_at=at,
                    reported_count=0,
                )
            )
        )
        for name in dict.fromkeys(targets):
            await self._conn.execute(event_targets.insert().values(event_id=eid, group_name=name))
        return await self.get(event_id=eid)

    async def get(self, *, event_id: int) -> Event:
        row = (await self._conn.execute(events.select().where(events.c.id == event_id))).first()
        if row is None:
            raise NotFound(f"E{event_id}")
        targets = await self._conn.scalars(
            sa.select(event_targets.c.group_name).where(event_targets.c.event_id == event_id)
        )
        return Event(**row._asdict(), targets=tuple(sorted(targets)))

    # --- an event's transitions: each only from the states it expects; False when it was not

    async def close(self, *, event_id: int) -> bool:
        """关闭活动: no more RSVPs (an event closed already stays closed; a cancelled one is not
        closed)."""
        return await self._change_event(event_id, events.c.status.in_((OPEN, CLOSED)), CLOSED)

    async def cancel(self, *, event_id: int) -> bool:
        """取消活动: an event not cancelled already is."""
        return await self._change_event(event_id, events.c.status.in_((OPEN, CLOSED)), CANCELLED)

    async def record_count(self, *, seen: Event, count: int, at: datetime) -> bool:
        """The organiser was told `count` places are taken: recorded once, by whoever finds
        the last count still as `seen` had it."""
        result = await self._conn.execute(
            events.update()
            .where(events.c.id == seen.id, events.c.reported_at == seen.reported_at)
            .values(reported_count=count, reported_at=at)
        )
        return result.rowcount == 1

    async def _change_event(
        self, event_id: int, expected: sa.ColumnElement[bool], status: str
    ) -> bool:
        result = await self._conn.execute(
            events.update().where(events.c.id == event_id, expected).values(status=status)
        )
        return result.rowcount == 1

    async def upcoming(self, *, now: datetime) -> list[Event]:
        """Open events that have not started, soonest first."""
        ids = await self._conn.scalars(
            sa.select(events.c.id)
            .where(events.c.status == OPEN, events.c.starts_at > now)
            .order_by(events.c.starts_at, events.c.id)
        )
        return [await self.get(event_id=i) for i in ids]

    async def rsvp_of(self, *, event_id: int, person_id: int) -> Rsvp | None:
        row = (
            await self._conn.execute(
                event_rsvps.select().where(
                    event_rsvps.c.event_id == event_id, event_rsvps.c.person_id == person_id
                )
            )
        ).first()
        return None if row is None else Rsvp(**row._asdict())

    # --- an RSVP's transitions: None when it was not in the state expected

    async def join(
        self, *, event_id: int, person_id: int, guests: int, going: bool, at: datetime
    ) -> Rsvp | None:
        """报名 by someone not going: a place (`going`) or the waitlist. Someone waitlisted
        already keeps their place in the queue; anyone else joins at its back."""
        existing = await self.rsvp_of(event_id=event_id, person_id=person_id)
        status = GOING if going else WAITLIST
        if existing is None:
            await self._conn.execute(
                event_rsvps.insert().values(
                    event_id=event_id,
                    person_id=person_id,
                    guests=guests,
                    status=status,
                    queued_at=at,
                    updated_at=at,
                )
            )
            return await self.rsvp_of(event_id=event_id, person_id=person_id)
        if existing.status == GOING:
            return None
        values: dict[str, object] = dict(guests=guests, status=status, updated_at=at)
        if existing.status != WAITLIST:
            values["queued_at"] = at
        return await self._change_rsvp(existing.id, event_rsvps.c.status == existing.status, values)

    async def change_guests(
        self, *, event_id: int, person_id: int, guests: int, at: datetime
    ) -> Rsvp | None:
        """报名 E1 +2 by someone going: their party changes, their place stays."""
        return await self._rsvp_transition(
            event_id, person_id, (GOING,), dict(guests=guests, updated_at=at)
        )

    async def promote_waitlisted(
        self, *, event_id: int, person_id: int, at: datetime
    ) -> Rsvp | None:
        """A place came free and fits them: a waitlisted party is going."""
        return await self._rsvp_transition(
            event_id, person_id, (WAITLIST,), dict(status=GOING, updated_at=at)
        )

    async def withdraw(self, *, event_id: int, person_id: int, at: datetime) -> Rsvp | None:
        """取消报名: someone going or waitlisted is not."""
        return await self._rsvp_transition(
            event_id, person_id, (GOING, WAITLIST), dict(status=CANCELLED, updated_at=at)
        )

    async def _rsvp_transition(
        self, event_id: int, person_id: int, expected: tuple[str, ...], values: dict[str, object]
    ) -> Rsvp | None:
        existing = await self.rsvp_of(event_id=event_id, person_id=person_id)
        if existing is None:
            return None
        return await self._change_rsvp(existing.id, event_rsvps.c.status.in_(expected), values)

    async def _change_rsvp(
        self, rsvp_id: int, expected: sa.ColumnElement[bool], values: dict[str, object]
    ) -> Rsvp | None:
        result = await self._conn.execute(
            event_rsvps.update().where(event_rsvps.c.id == rsvp_id, expected).values(**values)
        )
        if result.rowcount != 1:
            return None
        row = (
            await self._conn.execute(event_rsvps.select().where(event_rsvps.c.id == rsvp_id))
        ).first()
        assert row is not None
        return Rsvp(**row._asdict())

    async def rsvps(self, *, event_id: int, status: str) -> list[Rsvp]:
        """RSVPs in a status, in the order they queued."""
        rows = await self._conn.execute(
            event_rsvps.select()
            .where(event_rsvps.c.event_id == event_id, event_rsvps.c.status == status)
            .order_by(event_rsvps.c.queued_at, event_rsvps.c.id)
        )
        return [Rsvp(**r._asdict()) for r in rows]

    async def taken(self, *, event_id: int, excluding: int | None = None) -> int:
        """Places taken by people going (guests included), not counting one person."""
        query = sa.select(sa.func.coalesce(sa.func.sum(1 + event_rsvps.c.guests), 0)).where(
            event_rsvps.c.event_id == event_id, event_rsvps.c.status == GOING
        )
        if excluding is not None:
            query = query.where(event_rsvps.c.person_id != excluding)
        return int(await self._conn.scalar(query) or 0)

    async def going_of(self, *, person_id: int, now: datetime) -> list[tuple[Event, Rsvp]]:
        """A person's RSVPs (going or waitlisted) to events that have not started."""
        rows = await self._conn.execute(
            event_rsvps.select()
            .join(events, events.c.id == event_rsvps.c.event_id)
            .where(
                event_rsvps.c.person_id == person_id,
                event_rsvps.c.status.in_((GOING, WAITLIST)),
                events.c.status == OPEN,
                events.c.starts_at > now,
            )
            .order_by(events.c.starts_at)
        )
        found = [Rsvp(**r._asdict()) for r in rows]
        return [(await self.get(event_id=r.event_id), r) for r in found]

    async def draft_of(self, *, person_id: int) -> Draft | None:
        row = (
            await self._conn.execute(
                event_drafts.select().where(event_drafts.c.person_id == person_id)
            )
        ).first()
        return None if row is None else Draft(**row._asdict())

    async def save_draft(self, draft: Draft) -> None:
        await self._conn.execute(
            event_drafts.delete().where(event_drafts.c.person_id == draft.person_id)
        )
        await self._conn.execute(
            event_drafts.insert().values(
                person_id=draft.person_id,
                title=draft.title,
                starts_at=draft.starts_at,
                place=draft.place,
            )
        )

    async def drop_draft(self, *, person_id: int) -> None:
        await self._conn.execute(event_drafts.delete().where(event_drafts.c.person_id == person_id))
