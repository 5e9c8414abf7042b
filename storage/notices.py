"""Scheduled notices (A1, A2, …) and the occurrences claimed for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from storage.claims import insert_once
from storage.conn import Conn
from storage.errors import NotFound
from storage.schema import inserted_id, notice_occurrences, notice_targets, notices

ACTIVE = "active"
PAUSED = "paused"
DONE = "done"  # a one-off that has happened
DELETED = "deleted"


@dataclass(frozen=True)
class Notice:
    id: int
    config_key: str | None
    text: str
    schedule: str
    cron: str | None
    run_at: datetime | None
    status: str
    pin: bool
    rotate: bool
    rotation: int
    next_run_at: datetime | None
    created_by: int | None
    created_at: datetime
    targets: tuple[str, ...]  # group names; empty: every group

    @property
    def number(self) -> str:
        return f"A{self.id}"


class NoticeRepository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def add(
        self,
        *,
        text: str,
        schedule: str,
        cron: str | None,
        run_at: datetime | None,
        pin: bool,
        rotate: bool,
        targets: list[str],
        next_run_at: datetime | None,
        created_by: int | None,
        at: datetime,
        config_key: str | None = None,
    ) -> Notice:
        """Schedule a notice."""
        nid = inserted_id(
            await self._conn.execute(
                notices.insert().values(
                    config_key=config_key,
                    text=text,
                    schedule=schedule,
                    cron=cron,
                    run_at=run_at,
                    status=ACTIVE,
                    pin=pin,
                    rotate=rotate,
                    rotation=0,
                    next_run_at=next_run_at,
                    created_by=created_by,
                    created_at=at,
                )
            )
        )
        await self._set_targets(nid, targets)
        return await self.get(notice_id=nid)

    async def _set_targets(self, notice_id: int, targets: list[str]) -> None:
        await self._conn.execute(
            notice_targets.delete().where(notice_targets.c.notice_id == notice_id)
        )
        for name in dict.fromkeys(targets):
            await self._conn.execute(
                notice_targets.insert().values(notice_id=notice_id, group_name=name)
            )

    async def by_config_key(self, *, key: str) -> Notice | None:
        nid = await self._conn.scalar(sa.select(notices.c.id).where(notices.c.config_key == key))
        return None if nid is None else await self.get(notice_id=nid)

    async def replace_definition(
        self,
        *,
        notice_id: int,
        text: str,
        schedule: str,
        cron: str | None,
        run_at: datetime | None,
        pin: bool,
        rotate: bool,
        targets: list[str],
        next_run_at: datetime | None,
    ) -> Notice:
        """Change what a notice says and when (a config entry that was edited)."""
        await self._conn.execute(
            notices.update()
            .where(notices.c.id == notice_id)
            .values(
                text=text,
                schedule=schedule,
                cron=cron,
                run_at=run_at,
                pin=pin,
                rotate=rotate,
                next_run_at=next_run_at,
            )
        )
        await self._set_targets(notice_id, targets)
        return await self.get(notice_id=notice_id)

    async def get(self, *, notice_id: int) -> Notice:
        """The notice with this id (deleted ones too); NotFound otherwise."""
        row = (await self._conn.execute(notices.select().where(notices.c.id == notice_id))).first()
        if row is None:
            raise NotFound(f"A{notice_id}")
        targets = await self._conn.scalars(
            sa.select(notice_targets.c.group_name)
            .where(notice_targets.c.notice_id == notice_id)
            .order_by(notice_targets.c.group_name)
        )
        return Notice(**row._asdict(), targets=tuple(targets))

    async def listed(self) -> list[Notice]:
        """Every notice not deleted, in order."""
        ids = await self._conn.scalars(
            sa.select(notices.c.id).where(notices.c.status != DELETED).order_by(notices.c.id)
        )
        return [await self.get(notice_id=i) for i in ids]

    async def scheduled(self) -> list[Notice]:
        """Active notices with a next run: what the scheduler should hold."""
        rows = (
            await self._conn.execute(
                notices.select()
                .where(notices.c.status == ACTIVE, notices.c.next_run_at.is_not(None))
                .order_by(notices.c.id)
            )
        ).all()
        targets: dict[int, list[str]] = {}
        for notice_id, name in await self._conn.execute(  # all targets in one query
            sa.select(notice_targets.c.notice_id, notice_targets.c.group_name)
            .join(notices, notices.c.id == notice_targets.c.notice_id)
            .where(notices.c.status == ACTIVE, notices.c.next_run_at.is_not(None))
            .order_by(notice_targets.c.group_name)
        ):
            targets.setdefault(notice_id, []).append(name)
        return [Notice(**r._asdict(), targets=tuple(targets.get(r.id, ()))) for r in rows]

    async def due(self, *, now: datetime) -> list[Notice]:
        """Active notices whose next run has come."""
        ids = await self._conn.scalars(
            sa.select(notices.c.id)
            .where(notices.c.status == ACTIVE, notices.c.next_run_at <= now)
            .order_by(notices.c.next_run_at, notices.c.id)
        )
        return [await self.get(notice_id=i) for i in ids]

    async def next_run(self, *, after: datetime) -> datetime | None:
        """The earliest next run of an active notice later than `after`."""
        value: datetime | None = await self._conn.scalar(
            sa.select(sa.func.min(notices.c.next_run_at)).where(
                notices.c.status == ACTIVE, notices.c.next_run_at > after
            )
        )
        return value

    # --- transitions: each only from the states it expects; False when it was not

    async def advance(self, *, notice_id: int, next_run_at: datetime | None, rotation: int) -> bool:
        """Its due occurrences handled: an active notice waits for `next_run_at`, or is done
        when there is none (a notice paused or deleted meanwhile stays so)."""
        return await self._change(
            notice_id,
            (ACTIVE,),
            next_run_at=next_run_at,
            rotation=rotation,
            status=ACTIVE if next_run_at is not None else DONE,
        )

    async def pause(self, *, notice_id: int) -> bool:
        """暂停通知: an active notice stops posting."""
        return await self._change(notice_id, (ACTIVE,), status=PAUSED)

    async def resume(self, *, notice_id: int, next_run_at: datetime | None) -> bool:
        """恢复通知: a paused notice posts again from `next_run_at` (done when there is none)."""
        return await self._change(
            notice_id,
            (PAUSED,),
            status=ACTIVE if next_run_at is not None else DONE,
            next_run_at=next_run_at,
        )

    async def delete(self, *, notice_id: int) -> bool:
        """删除通知: gone from the list and the schedule (kept for the record)."""
        return await self._change(
            notice_id, (ACTIVE, PAUSED, DONE), status=DELETED, next_run_at=None
        )

    async def finish(self, *, notice_id: int) -> bool:
        """A one-off from the config whose time has passed: nothing left to post."""
        return await self._change(notice_id, (ACTIVE, PAUSED, DONE, DELETED), status=DONE)

    async def _change(self, notice_id: int, expected: tuple[str, ...], **values: object) -> bool:
        result = await self._conn.execute(
            notices.update()
            .where(notices.c.id == notice_id, notices.c.status.in_(expected))
            .values(**values)
        )
        return result.rowcount == 1

    async def claim(
        self, *, notice_id: int, scheduled_at: datetime, outcome: str, at: datetime
    ) -> bool:
        """Take an occurrence for this process; False if it was already taken (by anyone)."""
        return await insert_once(
            self._conn,
            notice_occurrences.insert().values(
                notice_id=notice_id, scheduled_at=scheduled_at, outcome=outcome, at=at
            ),
        )

    async def occurrences(self, *, notice_id: int) -> list[tuple[datetime, str]]:
        """(scheduled time, outcome) of every claimed occurrence, oldest first."""
        rows = await self._conn.execute(
            sa.select(notice_occurrences.c.scheduled_at, notice_occurrences.c.outcome)
            .where(notice_occurrences.c.notice_id == notice_id)
            .order_by(notice_occurrences.c.scheduled_at)
        )
        return [(r.scheduled_at, r.outcome) for r in rows]

    async def claim_times(self, *, notice_ids: list[int]) -> list[tuple[datetime, datetime]]:
        """(scheduled time, when it was claimed) of every occurrence of these notices."""
        rows = await self._conn.execute(
            sa.select(notice_occurrences.c.scheduled_at, notice_occurrences.c.at).where(
                notice_occurrences.c.notice_id.in_(notice_ids)
            )
        )
        return [(r.scheduled_at, r.at) for r in rows]
