"""Suggestions (J1, …), proposals (P1, …), their backers and the households' votes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from storage.conn import Conn
from storage.errors import NotFound
from storage.schema import (
    inserted_id,
    proposal_backers,
    proposals,
    suggestions,
    vote_history,
    votes,
)


@dataclass(frozen=True)
class Suggestion:
    id: int
    person_id: int
    text: str
    status: str
    created_at: datetime
    answered_by: int | None
    answer: str | None
    answered_at: datetime | None
    rating: str | None

    @property
    def number(self) -> str:
        return f"J{self.id}"


@dataclass(frozen=True)
class Proposal:
    id: int
    scope: str
    text: str
    deadline: datetime
    rule: str
    participation: str
    consent: str
    consent_strict: bool
    status: str
    backers_needed: int
    created_by: int
    created_at: datetime
    origin_platform: str
    origin_chat: str
    result: str | None
    passed: bool | None

    @property
    def number(self) -> str:
        return f"P{self.id}"


@dataclass(frozen=True)
class Vote:
    household_id: int
    choice: str
    voter_id: int
    proxy: bool
    note: str | None
    at: datetime


@dataclass(frozen=True)
class CastVote:
    """One vote as it was cast; `counted` is False once a later vote replaced it."""

    household_id: int
    choice: str
    voter_id: int
    proxy: bool
    note: str | None
    at: datetime
    counted: bool


class VoteRepository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    # --- suggestions ------------------------------------------------------------------------

    async def suggest(self, *, person_id: int, text: str, at: datetime) -> Suggestion:
        sid = inserted_id(
            await self._conn.execute(
                suggestions.insert().values(
                    person_id=person_id, text=text, status="open", created_at=at
                )
            )
        )
        return await self.suggestion(suggestion_id=sid)

    async def suggestion(self, *, suggestion_id: int) -> Suggestion:
        row = (
            await self._conn.execute(suggestions.select().where(suggestions.c.id == suggestion_id))
        ).first()
        if row is None:
            raise NotFound(f"J{suggestion_id}")
        return Suggestion(**row._asdict())

    async def answer_suggestion(
        self, *, suggestion_id: int, by: int, answer: str, at: datetime
    ) -> Suggestion:
        """答复: a suggestion is answered (or answered again: the new answer replaces the old,
        and any rating of the old one is cleared)."""
        await self._conn.execute(
            suggestions.update()
            .where(suggestions.c.id == suggestion_id)
            .values(status="answered", answered_by=by, answer=answer, answered_at=at, rating=None)
        )
        return await self.suggestion(suggestion_id=suggestion_id)

    async def rate_suggestion(self, *, suggestion_id: int, rating: str, reopen: bool) -> bool:
        """The resident's verdict on an answered suggestion; `reopen` (不满意) opens it again for
        another answer. False if it is not answered (any more)."""
        values: dict[str, object] = {"rating": rating}
        if reopen:
            values["status"] = "open"
        result = await self._conn.execute(
            suggestions.update()
            .where(suggestions.c.id == suggestion_id, suggestions.c.status == "answered")
            .values(**values)
        )
        return result.rowcount == 1

    # --- proposals ----------------------------------------------------------------------------

    async def propose(self, **values: Any) -> Proposal:
        pid = inserted_id(await self._conn.execute(proposals.insert().values(**values)))
        return await self.proposal(proposal_id=pid)

    async def proposal(self, *, proposal_id: int) -> Proposal:
        row = (
            await self._conn.execute(proposals.select().where(proposals.c.id == proposal_id))
        ).first()
        if row is None:
            raise NotFound(f"P{proposal_id}")
        return Proposal(**row._asdict())

    async def open_backed(self, *, proposal_id: int) -> Proposal | None:
        """Backed by enough residents: a proposal gathering backers opens for the vote, once."""
        result = await self._conn.execute(
            proposals.update()
            .where(proposals.c.id == proposal_id, proposals.c.status == "backing")
            .values(status="open")
        )
        return await self.proposal(proposal_id=proposal_id) if result.rowcount == 1 else None

    async def close(self, *, proposal_id: int, result: str, passed: bool) -> bool:
        """At the deadline: an open proposal is closed with its result, once."""
        done = await self._conn.execute(
            proposals.update()
            .where(proposals.c.id == proposal_id, proposals.c.status == "open")
            .values(status="closed", result=result, passed=passed)
        )
        return done.rowcount == 1

    async def back(self, *, proposal_id: int, person_id: int) -> bool:
        seen = await self._conn.scalar(
            sa.select(sa.func.count())
            .select_from(proposal_backers)
            .where(
                proposal_backers.c.proposal_id == proposal_id,
                proposal_backers.c.person_id == person_id,
            )
        )
        if seen:
            return False
        await self._conn.execute(
            proposal_backers.insert().values(proposal_id=proposal_id, person_id=person_id)
        )
        return True

    async def backers(self, *, proposal_id: int) -> int:
        return int(
            await self._conn.scalar(
                sa.select(sa.func.count())
                .select_from(proposal_backers)
                .where(proposal_backers.c.proposal_id == proposal_id)
            )
            or 0
        )

    async def closing(self, *, now: datetime) -> list[Proposal]:
        """Open proposals whose deadline has come."""
        rows = await self._conn.execute(
            proposals.select()
            .where(proposals.c.status == "open", proposals.c.deadline <= now)
            .order_by(proposals.c.id)
        )
        return [Proposal(**r._asdict()) for r in rows]

    async def next_deadline(self, *, after: datetime) -> datetime | None:
        value: datetime | None = await self._conn.scalar(
            sa.select(sa.func.min(proposals.c.deadline)).where(
                proposals.c.status == "open", proposals.c.deadline > after
            )
        )
        return value

    # --- votes --------------------------------------------------------------------------------

    async def cast(
        self,
        *,
        proposal_id: int,
        household_id: int,
        choice: str,
        voter_id: int,
        proxy: bool,
        note: str | None,
        at: datetime,
    ) -> Vote | None:
        """Record a household's vote; returns the vote it replaced, if any."""
        before = await self.vote_of(proposal_id=proposal_id, household_id=household_id)
        await self._conn.execute(
            votes.delete().where(
                votes.c.proposal_id == proposal_id, votes.c.household_id == household_id
            )
        )
        cast = {
            "proposal_id": proposal_id,
            "household_id": household_id,
            "choice": choice,
            "voter_id": voter_id,
            "proxy": proxy,
            "note": note,
            "at": at,
        }
        await self._conn.execute(votes.insert().values(**cast))
        await self._conn.execute(vote_history.insert().values(**cast))  # every vote kept
        return before

    async def vote_of(self, *, proposal_id: int, household_id: int) -> Vote | None:
        row = (
            await self._conn.execute(
                votes.select().where(
                    votes.c.proposal_id == proposal_id, votes.c.household_id == household_id
                )
            )
        ).first()
        return (
            None
            if row is None
            else Vote(row.household_id, row.choice, row.voter_id, row.proxy, row.note, row.at)
        )

    async def votes(self, *, proposal_id: int) -> list[Vote]:
        rows = await self._conn.execute(
            votes.select().where(votes.c.proposal_id == proposal_id).order_by(votes.c.household_id)
        )
        return [Vote(r.household_id, r.choice, r.voter_id, r.proxy, r.note, r.at) for r in rows]

    async def history(self, *, proposal_id: int) -> list[CastVote]:
        """Every vote cast on a proposal, household by household in the order cast."""
        rows = list(
            await self._conn.execute(
                vote_history.select()
                .where(vote_history.c.proposal_id == proposal_id)
                .order_by(vote_history.c.household_id, vote_history.c.id)
            )
        )
        last = {r.household_id: r.id for r in rows}  # ordered by id: the latest wins
        return [
            CastVote(
                r.household_id,
                r.choice,
                r.voter_id,
                r.proxy,
                r.note,
                r.at,
                counted=last[r.household_id] == r.id,
            )
            for r in rows
        ]
