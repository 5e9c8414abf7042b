"""Questions the bot asked and waits to have answered (a two-step exchange)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import pending_questions as pq


@dataclass(frozen=True)
class PendingQuestion:
    kind: str
    text: str
    photo: str | None
    expires_at: datetime


class QuestionRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    def _key(self, platform: str, chat_id: str, person_id: int) -> sa.ColumnElement[bool]:
        return (
            (pq.c.platform == platform) & (pq.c.chat_id == chat_id) & (pq.c.person_id == person_id)
        )

    async def ask(
        self,
        *,
        platform: str,
        chat_id: str,
        person_id: int,
        kind: str,
        text: str,
        photo: str | None,
        expires_at: datetime,
    ) -> None:
        """Remember a question to this person in this chat, replacing an earlier one."""
        await self._conn.execute(pq.delete().where(self._key(platform, chat_id, person_id)))
        await self._conn.execute(
            pq.insert().values(
                platform=platform,
                chat_id=chat_id,
                person_id=person_id,
                kind=kind,
                text=text,
                photo=photo,
                expires_at=expires_at,
            )
        )

    async def pending(
        self, *, platform: str, chat_id: str, person_id: int, now: datetime
    ) -> PendingQuestion | None:
        """The question this person has yet to answer here, if it has not expired."""
        row = (
            await self._conn.execute(
                pq.select().where(self._key(platform, chat_id, person_id), pq.c.expires_at > now)
            )
        ).first()
        return (
            None if row is None else PendingQuestion(row.kind, row.text, row.photo, row.expires_at)
        )

    async def forget(self, *, platform: str, chat_id: str, person_id: int) -> None:
        """Drop the question: it was answered or given up."""
        await self._conn.execute(pq.delete().where(self._key(platform, chat_id, person_id)))
