"""Inbound dedup: every handled (platform, message id) is remembered."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import inbound


class InboundRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def remember(self, *, platform: str, message_id: str, at: datetime) -> bool:
        """Record a message as handled; False if it was handled before."""
        seen = await self._conn.scalar(
            sa.select(sa.func.count())
            .select_from(inbound)
            .where(inbound.c.platform == platform, inbound.c.message_id == message_id)
        )
        if seen:
            return False
        # two workers may receive the same update at once: the primary key decides
        savepoint = await self._conn.begin_nested()
        try:
            await self._conn.execute(
                inbound.insert().values(platform=platform, message_id=message_id, received_at=at)
            )
        except IntegrityError:
            await savepoint.rollback()
            return False
        await savepoint.commit()
        return True
