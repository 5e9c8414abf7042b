"""Dead letters: inbound updates set aside because they could not be parsed or handled,
and the chats outside the served ones that have had their one answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from storage.conn import Conn
from storage.schema import dead_letters, inserted_id, stranger_chats


@dataclass(frozen=True)
class DeadLetter:
    id: int
    platform: str
    stage: str  # parse (not an update), adapter (not a message), handler (not handled)
    ref: str  # the platform's update or message id
    reason: str
    raw: str  # as received: JSON
    created_at: datetime
    replayed_at: datetime | None
    replay_of: int | None

    @property
    def label(self) -> str:
        return f"D{self.id}"


class DeadLetterRepository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def add(
        self,
        *,
        platform: str,
        stage: str,
        ref: str,
        reason: str,
        raw: str,
        at: datetime,
        replay_of: int | None = None,
    ) -> int:
        result = await self._conn.execute(
            dead_letters.insert().values(
                platform=platform,
                stage=stage,
                ref=ref[:200],
                reason=reason[:500],
                raw=raw,
                created_at=at,
                replay_of=replay_of,
            )
        )
        return inserted_id(result)

    async def get(self, dead_letter_id: int) -> DeadLetter | None:
        q = dead_letters.select().where(dead_letters.c.id == dead_letter_id)
        row = (await self._conn.execute(q)).first()
        return DeadLetter(**row._mapping) if row is not None else None

    async def listed(self, *, include_replayed: bool = False, limit: int = 20) -> list[DeadLetter]:
        """The newest first."""
        q = dead_letters.select().order_by(dead_letters.c.id.desc()).limit(limit)
        if not include_replayed:
            q = q.where(dead_letters.c.replayed_at.is_(None))
        return [DeadLetter(**r._mapping) for r in await self._conn.execute(q)]

    async def count(self, *, include_replayed: bool = False) -> int:
        q = sa.select(sa.func.count()).select_from(dead_letters)
        if not include_replayed:
            q = q.where(dead_letters.c.replayed_at.is_(None))
        return int((await self._conn.execute(q)).scalar_one())

    async def claim_replay(self, dead_letter_id: int, *, at: datetime) -> bool:
        """Mark one as replayed; False if it was already (so it is replayed once)."""
        result = await self._conn.execute(
            dead_letters.update()
            .where(dead_letters.c.id == dead_letter_id, dead_letters.c.replayed_at.is_(None))
            .values(replayed_at=at)
        )
        return bool(result.rowcount)

    async def first_from_stranger(
        self, *, platform: str, chat_id: str, is_group: bool, at: datetime
    ) -> bool:
        """Record a chat the bot does not serve; True only the first time it is seen (one
        statement: the primary key decides between two workers)."""
        dialect = postgresql if self._conn.dialect.name == "postgresql" else sqlite
        result = await self._conn.execute(
            dialect.insert(stranger_chats)
            .values(platform=platform, chat_id=chat_id[:100], is_group=is_group, first_seen=at)
            .on_conflict_do_nothing(index_elements=["platform", "chat_id"])
        )
        return bool(result.rowcount)
