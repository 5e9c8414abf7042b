"""Inbound dedup: every handled (platform, message id) is remembered."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from storage.conn import Conn, insert
from storage.schema import inbound, voice_jobs

# built once (the hot path: every message), executed with its parameters; by dialect
_REMEMBER = {
    postgres: dialect.insert(inbound).on_conflict_do_nothing(
        index_elements=["platform", "message_id"]
    )
    for postgres, dialect in ((False, sqlite), (True, postgresql))
}


class InboundRepository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def remember(self, *, platform: str, message_id: str, at: datetime) -> bool:
        """Record a message as handled; False if it was handled before.

        One statement: two workers may receive the same update at once, and the primary
        key decides which of them handles it (ON CONFLICT DO NOTHING inserts no row for
        the other)."""
        done = await insert(
            self._conn,
            _REMEMBER[self._conn.dialect.name == "postgresql"],
            {"platform": platform, "message_id": message_id, "received_at": at},
        )
        return bool(done.rows)

    async def keep_voice(
        self, *, platform: str, message_id: str, incoming: str, at: datetime
    ) -> None:
        """Keep a voice message until it is answered (it survives a restart)."""
        await self._conn.execute(
            voice_jobs.insert().values(
                platform=platform, message_id=message_id, incoming=incoming, received_at=at
            )
        )

    async def voice_answered(self, *, platform: str, message_id: str) -> None:
        """A voice message has had its answer: no longer kept."""
        await self._conn.execute(
            voice_jobs.delete().where(
                sa.and_(voice_jobs.c.platform == platform, voice_jobs.c.message_id == message_id)
            )
        )

    async def voice_waiting(self) -> list[str]:
        """The voice messages received and not yet answered (as JSON), oldest first."""
        rows = await self._conn.execute(
            sa.select(voice_jobs.c.incoming).order_by(voice_jobs.c.received_at)
        )
        return [r[0] for r in rows]
