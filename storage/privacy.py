"""What the bot keeps about a person, and forgetting it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from storage.conn import Conn
from storage.directory import DirectoryView
from storage.schema import (
    accounts,
    admin_changes,
    event_rsvps,
    household_members,
    meal_signups,
    outbox,
    pending_questions,
    people,
    person_roles,
    report_events,
    reports,
    votes,
)


@dataclass(frozen=True)
class Kept:
    reports: int
    meals: int
    rsvps: int
    votes: int


class PrivacyRepository:
    def __init__(self, conn: Conn, directory: DirectoryView | None = None) -> None:
        self._conn = conn
        self._dir = directory if directory is not None else DirectoryView(conn)

    async def counts(self, *, person_id: int) -> Kept:
        async def count(table: sa.Table, column: sa.Column[int]) -> int:
            return int(
                await self._conn.scalar(
                    sa.select(sa.func.count()).select_from(table).where(column == person_id)
                )
                or 0
            )

        return Kept(
            reports=await count(reports, reports.c.reporter_id),
            meals=await count(meal_signups, meal_signups.c.person_id),
            rsvps=await count(event_rsvps, event_rsvps.c.person_id),
            votes=await count(votes, votes.c.voter_id),
        )

    async def forget(self, *, person_id: int, label: str) -> None:
        """Remove a person's identity; what they did stays, attached to an anonymous shell.

        Their name, address and phone are also cut out of the message history and the audit
        trail, where the bot had written them."""
        row = (await self._conn.execute(people.select().where(people.c.id == person_id))).first()
        if row is not None:
            traces = [t for t in (row.name, row.address, row.phone) if t]
            native = list(
                await self._conn.scalars(
                    sa.select(accounts.c.native_id).where(accounts.c.person_id == person_id)
                )
            )
            await self._conn.execute(
                outbox.delete().where(
                    sa.or_(outbox.c.person_id == person_id, outbox.c.chat_id.in_(native)),
                    outbox.c.status != "pending",
                )
            )
            await self._conn.execute(
                outbox.update()
                .where(outbox.c.mention_id.in_(native))
                .values(mention_id=None, mention=label)
            )
            for table, column in (
                (outbox, outbox.c.text),
                (outbox, outbox.c.mention),
                (admin_changes, admin_changes.c.detail),
                (report_events, report_events.c.note),
            ):
                for trace in traces:
                    await self._conn.execute(
                        table.update()
                        .where(column.contains(trace))
                        .values({column.name: sa.func.replace(column, trace, label)})
                    )
        await self._conn.execute(accounts.delete().where(accounts.c.person_id == person_id))
        await self._conn.execute(person_roles.delete().where(person_roles.c.person_id == person_id))
        await self._conn.execute(
            household_members.delete().where(household_members.c.person_id == person_id)
        )
        await self._conn.execute(
            pending_questions.delete().where(pending_questions.c.person_id == person_id)
        )
        await self._conn.execute(
            people.update()
            .where(people.c.id == person_id)
            .values(
                name=label,
                config_name=None,
                address=None,
                phone=None,
                birth_year=None,
                leader_id=None,
            )
        )
        await self._dir.changed()

    async def anonymous_person(self, *, label: str, at: datetime) -> int:
        """The one shared anonymous person that old reports are given to."""
        pid = await self._conn.scalar(
            sa.select(people.c.id).where(people.c.config_name == "__anonymous__")
        )
        if pid is not None:
            return int(pid)
        self._dir.added()  # a new person: no version bump (see storage.directory)
        savepoint = await self._conn.begin_nested()
        try:  # two workers may create it at the same moment: one wins, both use it
            await self._conn.execute(
                people.insert().values(
                    name=label,
                    config_name="__anonymous__",
                    elderly=False,
                    lives_alone=False,
                    created_at=at,
                )
            )
        except IntegrityError:
            await savepoint.rollback()
        else:
            await savepoint.commit()
        created = await self._conn.scalar(
            sa.select(people.c.id).where(people.c.config_name == "__anonymous__")
        )
        assert created is not None
        return int(created)

    async def purge_sent(self, *, before: datetime) -> int:
        """Delivered and dead outbox rows older than `before` leave the history."""
        result = await self._conn.execute(
            outbox.delete().where(outbox.c.status != "pending", outbox.c.created_at < before)
        )
        return int(result.rowcount or 0)

    async def anonymise_closed_reports(self, *, before: datetime, anonymous_id: int) -> int:
        """Reports resolved before `before` lose their reporter's identity."""
        result = await self._conn.execute(
            reports.update()
            .where(
                reports.c.status == "resolved",
                reports.c.resolved_at < before,
                reports.c.reporter_id != anonymous_id,
            )
            .values(reporter_id=anonymous_id)
        )
        return int(result.rowcount or 0)
