"""Claims: a job that must happen once takes its name here before it acts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Insert
from sqlalchemy.exc import IntegrityError

from storage.conn import Conn
from storage.schema import claims


async def insert_once(conn: Conn, insert: Insert) -> bool:
    """Insert a row whose key says something happens once; False if it was there already
    (taken by anyone, in any process). A savepoint keeps the transaction usable after the
    refusal."""
    savepoint = await conn.begin_nested()
    try:
        await conn.execute(insert)
    except IntegrityError:
        await savepoint.rollback()
        return False
    await savepoint.commit()
    return True


class ClaimRepository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def claim(self, *, name: str, at: datetime) -> bool:
        """Take `name` for this transaction; False if anyone took it before."""
        return await insert_once(self._conn, claims.insert().values(name=name, at=at))
