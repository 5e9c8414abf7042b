"""The outbox: every outbound message is a row first, committed with what caused it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import inserted_id, outbox

PENDING = "pending"
SENT = "sent"
DEAD = "dead"  # refused for good by the platform (blocked, never started)


@dataclass(frozen=True)
class Delivery:
    id: int
    platform: str
    chat_id: str
    is_group: bool
    person_id: int | None
    text: str
    buttons: tuple[tuple[str, str], ...]
    photo: str | None
    mention: str | None
    attempts: int
    created_at: datetime
    pin: bool = False
    document: str | None = None
    mention_id: str | None = None  # the platform's id of the person `mention` names
    # several queued group answers sent as one message: these rows, this one first; each
    # keeps its own mention, which the adapter renders (a merged answer still notifies)
    parts: tuple[Delivery, ...] = ()

    def pieces(self) -> tuple[Delivery, ...]:
        """The answers this message carries: its parts when merged, else itself."""
        return self.parts or (self,)


class OutboxRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def enqueue(
        self,
        *,
        platform: str,
        chat_id: str,
        is_group: bool,
        text: str,
        buttons: list[tuple[str, str]],
        photo: str | None,
        mention: str | None,
        person_id: int | None,
        at: datetime,
        pin: bool = False,
        document: str | None = None,
        mention_id: str | None = None,
    ) -> int:
        """Add a message to send; returns its row id."""
        result = await self._conn.execute(
            outbox.insert().values(
                platform=platform,
                chat_id=chat_id,
                is_group=is_group,
                person_id=person_id,
                text=text,
                buttons=[list(b) for b in buttons],
                photo=photo,
                mention=mention,
                mention_id=mention_id,
                pin=pin,
                document=document,
                status=PENDING,
                attempts=0,
                not_before=at,
                created_at=at,
            )
        )
        return inserted_id(result)

    async def due(self, *, now: datetime, platforms: list[str], limit: int) -> list[Delivery]:
        """The oldest pending row of each chat, where it may be tried now; oldest first.

        Only a chat's oldest row is offered, so a row waiting for its retry holds back the
        rows queued after it for the same chat (order per chat), and a busy chat cannot
        starve the others."""
        heads = (
            sa.select(sa.func.min(outbox.c.id).label("id"))
            .where(outbox.c.status == PENDING, outbox.c.platform.in_(platforms))
            .group_by(outbox.c.platform, outbox.c.chat_id)
            .subquery()
        )
        rows = await self._conn.execute(
            outbox.select()
            .join(heads, heads.c.id == outbox.c.id)
            .where(
                outbox.c.not_before <= now,
                sa.or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now),
            )
            .order_by(outbox.c.id)
            .limit(limit)
        )
        return self._deliveries(rows)

    async def claim(
        self, *, ids: list[int], worker: str, now: datetime, until: datetime
    ) -> list[int]:
        """Take rows for this worker until `until`; returns the ids it got (others hold the
        rest). A row held by a worker that died is free again once its lease has passed."""
        if not ids:
            return []
        result = await self._conn.execute(
            outbox.update()
            .where(
                outbox.c.id.in_(ids),
                outbox.c.status == PENDING,
                sa.or_(
                    outbox.c.claimed_until.is_(None),
                    outbox.c.claimed_until < now,
                    outbox.c.claimed_by == worker,
                ),
            )
            .values(claimed_by=worker, claimed_until=until)
            .returning(outbox.c.id)
        )
        return sorted(r[0] for r in result)

    async def claimants(self, *, now: datetime) -> list[str]:
        """The workers holding pending rows under a lease that has not run out."""
        rows = await self._conn.execute(
            sa.select(outbox.c.claimed_by)
            .where(outbox.c.status == PENDING, outbox.c.claimed_until >= now)
            .distinct()
        )
        return [r[0] for r in rows if r[0]]

    async def release(self, *, worker: str) -> int:
        """Free the pending rows a worker held (it is known to be dead); returns how many."""
        result = await self._conn.execute(
            outbox.update()
            .where(outbox.c.status == PENDING, outbox.c.claimed_by == worker)
            .values(claimed_by=None, claimed_until=None)
        )
        return int(result.rowcount or 0)

    async def queued_for_chat(
        self, *, platform: str, chat_id: str, now: datetime, limit: int
    ) -> list[Delivery]:
        """Pending rows of one chat that may be tried now, in order."""
        rows = await self._conn.execute(
            outbox.select()
            .where(
                outbox.c.status == PENDING,
                outbox.c.platform == platform,
                outbox.c.chat_id == chat_id,
                outbox.c.not_before <= now,
            )
            .order_by(outbox.c.id)
            .limit(limit)
        )
        return self._deliveries(rows)

    @staticmethod
    def _deliveries(rows: sa.CursorResult[Any]) -> list[Delivery]:
        return [
            Delivery(
                id=r.id,
                platform=r.platform,
                chat_id=r.chat_id,
                is_group=r.is_group,
                person_id=r.person_id,
                text=r.text,
                buttons=tuple((label, action) for label, action in r.buttons),
                photo=r.photo,
                mention=r.mention,
                mention_id=r.mention_id,
                attempts=r.attempts,
                created_at=r.created_at,
                pin=r.pin,
                document=r.document,
            )
            for r in rows
        ]

    async def next_due_at(self, *, platforms: list[str]) -> datetime | None:
        """When the earliest pending row for these platforms may be tried."""
        value: datetime | None = await self._conn.scalar(
            sa.select(sa.func.min(outbox.c.not_before)).where(
                outbox.c.status == PENDING, outbox.c.platform.in_(platforms)
            )
        )
        return value  # min() keeps the column's type, so this is aware UTC

    async def make_due(self, *, platform: str, now: datetime) -> int:
        """Every pending row of a platform may be tried at once (its link is back, so the
        backoff of the failures during the outage no longer applies); returns how many."""
        result = await self._conn.execute(
            outbox.update()
            .where(
                outbox.c.status == PENDING,
                outbox.c.platform == platform,
                outbox.c.not_before > now,
            )
            .values(not_before=now)
        )
        return int(result.rowcount or 0)

    async def mark_sent(self, *, ids: list[int], at: datetime) -> None:
        """Record rows as delivered."""
        await self._conn.execute(
            outbox.update()
            .where(outbox.c.id.in_(ids))
            .values(status=SENT, sent_at=at, claimed_by=None, claimed_until=None)
        )

    async def mark_failed(self, *, delivery_id: int, error: str, retry_at: datetime | None) -> None:
        """Record a failed try: retried at `retry_at`, or given up for good when None."""
        values: dict[str, object] = {
            "attempts": outbox.c.attempts + 1,
            "last_error": error[:500],
            "claimed_by": None,
            "claimed_until": None,
        }
        if retry_at is None:
            values["status"] = DEAD
        else:
            values["not_before"] = retry_at
        await self._conn.execute(outbox.update().where(outbox.c.id == delivery_id).values(**values))

    async def backlog(self) -> tuple[int, datetime | None]:
        """How many rows wait, and when the oldest of them was queued."""
        row = (
            await self._conn.execute(
                sa.select(sa.func.count(), sa.func.min(outbox.c.created_at)).where(
                    outbox.c.status == PENDING
                )
            )
        ).one()
        return int(row[0]), row[1]  # min() keeps the column's type: aware UTC

    async def count(self, *, status: str) -> int:
        """How many rows are in a status."""
        return int(
            await self._conn.scalar(
                sa.select(sa.func.count()).select_from(outbox).where(outbox.c.status == status)
            )
            or 0
        )
