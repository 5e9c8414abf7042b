"""Inbound dedup: every handled (platform, message id) is remembered."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import inbound


class InboundRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def remember(self, *, platform: str, message_id: str, at: datetime) -> bool:
        """Record a message as handled; False if it was handled before.

        One statement: two workers may receive the same update at once, and the primary
        key decides which of them handles it (ON CONFLICT DO NOTHING inserts no row for
        the other)."""
        dialect = postgresql if self._conn.dialect.name == "postgresql" else sqlite
        result = await self._conn.execute(
            dialect.insert(inbound)
            .values(platform=platform, message_id=message_id, received_at=at)
            .on_conflict_do_nothing(index_elements=["platform", "message_id"])
        )
        return bool(result.rowcount)
