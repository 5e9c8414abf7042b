"""Claims: a job that must happen once takes its name here before it acts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import claims


class ClaimRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def claim(self, *, name: str, at: datetime) -> bool:
        """Take `name` for this transaction; False if anyone took it before."""
        savepoint = await self._conn.begin_nested()
        try:
            await self._conn.execute(claims.insert().values(name=name, at=at))
        except IntegrityError:
            await savepoint.rollback()
            return False
        await savepoint.commit()
        return True
