"""Questions the bot asked and waits to have answered (a two-step exchange)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from storage.conn import Conn
from storage.schema import pending_questions as pq


@dataclass(frozen=True)
class PendingQuestion:
    kind: str
    text: str
    photo: str | None
    expires_at: datetime


@dataclass(frozen=True)
class ExpiredQuestion:
    platform: str
    chat_id: str
    person_id: int
    text: str


class QuestionRepository:
    def __init__(self, conn: Conn) -> None:
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

    async def expired(self, *, kind: str, now: datetime) -> list[ExpiredQuestion]:
        """Questions of a kind whose time ran out unanswered."""
        rows = await self._conn.execute(
            pq.select().where(pq.c.kind == kind, pq.c.expires_at <= now).order_by(pq.c.expires_at)
        )
        return [ExpiredQuestion(r.platform, r.chat_id, r.person_id, r.text) for r in rows]

    async def drop(self, *, platform: str, chat_id: str, person_id: int, kind: str) -> bool:
        """Drop an expired question; False if another worker did it first."""
        result = await self._conn.execute(
            pq.delete().where(self._key(platform, chat_id, person_id), pq.c.kind == kind)
        )
        return bool(result.rowcount)

    async def next_expiry(self, *, kind: str, after: datetime) -> datetime | None:
        value: datetime | None = await self._conn.scalar(
            sa.select(sa.func.min(pq.c.expires_at)).where(
                pq.c.kind == kind, pq.c.expires_at > after
            )
        )
        return value
