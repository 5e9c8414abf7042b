"""Leases: a connection only one worker may hold (a WeChat gateway), held until a time."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import leases


class LeaseRepository:
    def __init__(self, conn: AsyncConnection) -> None:
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
