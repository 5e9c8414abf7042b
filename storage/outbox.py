"""The outbox: every outbound message is a row first, committed with what caused it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from storage.conn import Conn, insert, new_id
from storage.schema import outbox

PENDING = "pending"
SENT = "sent"
DEAD = "dead"  # refused for good by the platform (blocked, never started)


@dataclass(frozen=True)
class Delivery:
    """One outbox row. Its buttons: (label, action, choice), `choice` set on the answers
    of one question (only one of them may be pressed)."""

    id: int
    platform: str
    chat_id: str
    is_group: bool
    person_id: int | None
    text: str
    buttons: tuple[tuple[str, str, bool], ...]
    photo: str | None
    mention: str | None
    attempts: int
    created_at: datetime
    pin: bool = False
    document: str | None = None
    mention_id: str | None = None  # the platform's id of the person `mention` names
    maybe_sent: bool = False  # an earlier try got no answer and may have landed


# built once and executed with their parameters: every message queues at least one row,
# and the sender runs the rest many times a second in a burst (built each time, SQLAlchemy
# coerced every literal and computed a cache key again: a third of the sender's CPU)
_ENQUEUE = outbox.insert()
_NOW = sa.bindparam("now", type_=outbox.c.not_before.type)
_WORKER = sa.bindparam("worker", type_=outbox.c.claimed_by.type)
_IDS = sa.bindparam("ids", type_=outbox.c.id.type, expanding=True)
_PLATFORMS = sa.bindparam("platforms", type_=outbox.c.platform.type, expanding=True)
_LIMIT = sa.bindparam("limit", type_=sa.Integer())


def _free(mine: bool) -> sa.ColumnElement[bool]:
    """Rows nobody holds (or whose holder's lease ran out), and, when `mine`, the worker's
    own."""
    free = sa.or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < _NOW)
    return sa.or_(free, outbox.c.claimed_by == _WORKER) if mine else free


def _due(mine: bool) -> sa.Select[Any]:
    heads = (
        sa.select(sa.func.min(outbox.c.id).label("id"))
        .where(outbox.c.status == PENDING, outbox.c.platform.in_(_PLATFORMS))
        .group_by(outbox.c.platform, outbox.c.chat_id)
        .subquery()
    )
    return (
        outbox.select()
        .join(heads, heads.c.id == outbox.c.id)
        .where(outbox.c.not_before <= _NOW, _free(mine))
        .order_by(outbox.c.id)
        .limit(_LIMIT)
    )


def _claim() -> sa.Update:
    candidates = (
        sa.select(outbox.c.id)
        .where(outbox.c.id.in_(_IDS), outbox.c.status == PENDING, _free(True))
        .with_for_update(skip_locked=True)
    )
    return (
        outbox.update()
        .where(outbox.c.id.in_(candidates.scalar_subquery()))
        .values(
            claimed_by=_WORKER,
            claimed_until=sa.bindparam("until", type_=outbox.c.claimed_until.type),
        )
        .returning(outbox.c.id)
    )


_DUE = {mine: _due(mine) for mine in (False, True)}
_CLAIM = _claim()
_FOLLOWERS = (
    sa.select(
        outbox,
        sa.case((sa.and_(_free(True), outbox.c.not_before <= _NOW), True), else_=False).label(
            "available"
        ),
    )
    .where(
        outbox.c.status == PENDING,
        outbox.c.platform == sa.bindparam("platform"),
        outbox.c.chat_id == sa.bindparam("chat_id"),
        outbox.c.id > sa.bindparam("after"),
    )
    .order_by(outbox.c.id)
    .limit(_LIMIT)
)
_NEXT_DUE = sa.select(sa.func.min(outbox.c.not_before)).where(
    outbox.c.status == PENDING, outbox.c.platform.in_(_PLATFORMS)
)
_MARK_SENT = (
    outbox.update()
    .where(outbox.c.id.in_(_IDS))
    .values(
        status=SENT,
        sent_at=sa.bindparam("at", type_=outbox.c.sent_at.type),
        claimed_by=None,
        claimed_until=None,
    )
)


class Followers(NamedTuple):
    """A chat's rows queued after its head that may go with it, and whether more wait."""

    rows: list[Delivery]
    more: bool


class OutboxRepository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def enqueue(
        self,
        *,
        platform: str,
        chat_id: str,
        is_group: bool,
        text: str,
        buttons: Sequence[tuple[str, str] | tuple[str, str, bool]],
        photo: str | None,
        mention: str | None,
        person_id: int | None,
        at: datetime,
        pin: bool = False,
        document: str | None = None,
        mention_id: str | None = None,
    ) -> int:
        """Add a message to send; returns its row id."""
        done = await insert(
            self._conn,
            _ENQUEUE,
            {
                "platform": platform,
                "chat_id": chat_id,
                "is_group": is_group,
                "person_id": person_id,
                "text": text,
                # [label, action], or [label, action, true] for the answers of one question
                "buttons": [list(b) if len(b) == 3 and b[2] else list(b[:2]) for b in buttons],
                "photo": photo,
                "mention": mention,
                "mention_id": mention_id,
                "pin": pin,
                "document": document,
                "status": PENDING,
                "attempts": 0,
                "not_before": at,
                "created_at": at,
            },
        )
        return new_id(done)

    @staticmethod
    def _free(now: datetime, worker: str | None) -> sa.ColumnElement[bool]:
        """Rows nobody holds (or whose holder's lease ran out), and this worker's own."""
        free = sa.or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now)
        return free if worker is None else sa.or_(free, outbox.c.claimed_by == worker)

    async def due(
        self, *, now: datetime, platforms: list[str], limit: int, worker: str | None = None
    ) -> list[Delivery]:
        """The oldest pending row of each chat, where it may be tried now; oldest first.

        Only a chat's oldest row is offered, so a row waiting for its retry holds back the
        rows queued after it for the same chat (order per chat), and a busy chat cannot
        starve the others. A head another worker holds is not offered; `worker`'s own are."""
        rows = await self._conn.execute(
            _DUE[worker is not None],
            {"now": now, "platforms": platforms, "limit": limit, "worker": worker},
        )
        return self._deliveries(rows)

    async def claim(
        self, *, ids: list[int], worker: str, now: datetime, until: datetime
    ) -> list[int]:
        """Take rows for this worker until `until`; returns the ids it got (others hold the
        rest). A row held by a worker that died is free again once its lease has passed.

        On PostgreSQL the rows are locked with SKIP LOCKED first: a row another worker is
        claiming at this moment is simply not got, instead of waited for (SQLite has one
        writer at a time and no FOR UPDATE: SQLAlchemy leaves the clause out there)."""
        if not ids:
            return []
        result = await self._conn.execute(
            _CLAIM, {"ids": ids, "now": now, "worker": worker, "until": until}
        )
        return sorted(r[0] for r in result)

    async def claim_next(
        self, *, platform: str, chat_id: str, worker: str, now: datetime, until: datetime
    ) -> Delivery | None:
        """Claim a chat's head row for this worker if it is due and nobody else holds it
        (the row after the one this worker just sent); None otherwise."""
        head = (
            sa.select(sa.func.min(outbox.c.id))
            .where(
                outbox.c.status == PENDING,
                outbox.c.platform == platform,
                outbox.c.chat_id == chat_id,
            )
            .scalar_subquery()
        )
        rows = await self._conn.execute(
            outbox.update()
            .where(outbox.c.id == head, outbox.c.not_before <= now, self._free(now, worker))
            .values(claimed_by=worker, claimed_until=until)
            .returning(*outbox.c)
        )
        found = self._deliveries(rows)
        return found[0] if found else None

    async def claimants(self, *, now: datetime) -> list[str]:
        """The workers holding pending rows under a lease that has not run out."""
        rows = await self._conn.execute(
            sa.select(outbox.c.claimed_by)
            .where(outbox.c.status == PENDING, outbox.c.claimed_until >= now)
            .distinct()
        )
        return [r[0] for r in rows if r[0]]

    async def release(self, *, worker: str, ids: list[int] | None = None) -> int:
        """Free the pending rows a worker held (all of them: it is known to be dead; or
        only `ids`: claimed but not sent after all); returns how many."""
        where = [outbox.c.status == PENDING, outbox.c.claimed_by == worker]
        if ids is not None:
            where.append(outbox.c.id.in_(ids))
        result = await self._conn.execute(
            outbox.update().where(*where).values(claimed_by=None, claimed_until=None)
        )
        return int(result.rowcount or 0)

    async def release_of(self, *, workers: list[str]) -> int:
        """Free every pending row these (dead) workers held; returns how many."""
        if not workers:
            return 0
        result = await self._conn.execute(
            outbox.update()
            .where(outbox.c.status == PENDING, outbox.c.claimed_by.in_(workers))
            .values(claimed_by=None, claimed_until=None)
        )
        return int(result.rowcount or 0)

    async def renew(self, *, worker: str, until: datetime) -> None:
        """Extend this (live) worker's claims: the sends it has in flight."""
        await self._conn.execute(
            outbox.update()
            .where(outbox.c.status == PENDING, outbox.c.claimed_by == worker)
            .values(claimed_until=until)
        )

    async def followers(
        self, *, head: Delivery, worker: str, now: datetime, limit: int
    ) -> Followers:
        """The pending rows queued after `head` in its chat that this worker may send with
        it: in order, up to the first one that is not due yet or that someone else holds,
        `limit` at most; and whether any row is queued behind them."""
        rows = await self._conn.execute(
            _FOLLOWERS,
            {
                "now": now,
                "worker": worker,
                "platform": head.platform,
                "chat_id": head.chat_id,
                "after": head.id,
                "limit": limit + 1,  # one more: is anything left behind them?
            },
        )
        listed = list(rows)
        run = []
        for r in listed[:limit]:
            if not r.available:
                break
            run.append(r)
        return Followers(self._deliveries(run), more=len(listed) > len(run))

    @staticmethod
    def _deliveries(rows: Iterable[Any]) -> list[Delivery]:
        return [
            Delivery(
                id=r.id,
                platform=r.platform,
                chat_id=r.chat_id,
                is_group=r.is_group,
                person_id=r.person_id,
                text=r.text,
                buttons=tuple((b[0], b[1], bool(b[2:] and b[2])) for b in r.buttons),
                photo=r.photo,
                mention=r.mention,
                mention_id=r.mention_id,
                attempts=r.attempts,
                created_at=r.created_at,
                pin=r.pin,
                document=r.document,
                maybe_sent=r.maybe_sent,
            )
            for r in rows
        ]

    async def next_due_at(self, *, platforms: list[str]) -> datetime | None:
        """When the earliest pending row for these platforms may be tried."""
        value: datetime | None = await self._conn.scalar(_NEXT_DUE, {"platforms": platforms})
        return value  # min() keeps the column's type, so this is aware UTC

    async def make_due(self, *, platform: str, now: datetime) -> int:
        """Every pending row of a platform may be tried at once (its link is back, so the
        backoff of the failures during the outage no longer applies), but for a send that
        may still land; returns how many."""
        result = await self._conn.execute(
            outbox.update()
            .where(
                outbox.c.status == PENDING,
                outbox.c.platform == platform,
                outbox.c.not_before > now,
                # a send that got no answer may still land: its window is not cut short
                outbox.c.maybe_sent.is_(False),
            )
            .values(not_before=now)
        )
        return int(result.rowcount or 0)

    async def mark_sent(self, *, ids: list[int], at: datetime) -> None:
        """Record rows as delivered."""
        await self._conn.execute(_MARK_SENT, {"ids": ids, "at": at})

    async def mark_failed(
        self,
        *,
        delivery_id: int,
        error: str,
        retry_at: datetime | None,
        others: list[int] | None = None,
        maybe_sent: bool = False,
    ) -> None:
        """Record a failed try: retried at `retry_at`, or given up for good when None.

        `others`: the rows merged into the same message, freed with it (they stay behind
        their head, in order). `maybe_sent`: the message may have reached the chat; every
        row of it counts a try and is marked, so none is merged into a message again."""
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
        if maybe_sent:
            values["maybe_sent"] = True
        await self._conn.execute(outbox.update().where(outbox.c.id == delivery_id).values(**values))
        if others:
            rest: dict[str, object] = {"claimed_by": None, "claimed_until": None}
            if maybe_sent:
                rest.update(attempts=outbox.c.attempts + 1, last_error=error[:500], maybe_sent=True)
            await self._conn.execute(outbox.update().where(outbox.c.id.in_(others)).values(**rest))

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
