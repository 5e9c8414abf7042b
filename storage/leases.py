"""Leases: a connection only one worker may hold (a WeChat gateway), held until a time."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from storage.conn import Conn
from storage.schema import leases, worker_heartbeats


class LeaseRepository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def take(self, *, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Take or renew the lease; False while someone else holds it."""
        result = await self._conn.execute(
            leases.update()
            .where(leases.c.name == name, sa.or_(leases.c.holder == holder, leases.c.until < now))
            .values(holder=holder, until=until)
        )
        if result.rowcount:
            return True
        savepoint = await self._conn.begin_nested()
        try:
            await self._conn.execute(leases.insert().values(name=name, holder=holder, until=until))
        except IntegrityError:
            await savepoint.rollback()
            return False
        await savepoint.commit()
        return True

    async def release(self, *, name: str, holder: str) -> None:
        await self._conn.execute(
            leases.delete().where(leases.c.name == name, leases.c.holder == holder)
        )


class HeartbeatRepository:
    """Workers' liveness: each renews its row often; a row gone stale is a dead worker."""

    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def beat(self, *, worker: str, now: datetime) -> bool:
        """Renew this worker's heartbeat; False if its row was gone (first beat, or another
        worker took it for dead and freed its claims)."""
        result = await self._conn.execute(
            worker_heartbeats.update()
            .where(worker_heartbeats.c.worker == worker)
            .values(beat_at=now)
        )
        if result.rowcount:
            return True
        await self._conn.execute(
            worker_heartbeats.insert().values(worker=worker, started_at=now, beat_at=now)
        )
        return False

    async def dead(self, *, before: datetime) -> list[str]:
        """The workers whose last heartbeat is older than `before`."""
        rows = await self._conn.execute(
            sa.select(worker_heartbeats.c.worker).where(worker_heartbeats.c.beat_at < before)
        )
        return [r[0] for r in rows]

    async def live(self, *, since: datetime) -> list[str]:
        """The workers that beat at or after `since`."""
        rows = await self._conn.execute(
            sa.select(worker_heartbeats.c.worker)
            .where(worker_heartbeats.c.beat_at >= since)
            .order_by(worker_heartbeats.c.worker)
        )
        return [r[0] for r in rows]

    async def forget(self, *, workers: list[str]) -> None:
        """Drop these workers' rows (dead, or stopping cleanly)."""
        if workers:
            await self._conn.execute(
                worker_heartbeats.delete().where(worker_heartbeats.c.worker.in_(workers))
            )
