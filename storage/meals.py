"""The canteen: menus per day and meal, and meal sign-ups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from storage.conn import Conn
from storage.schema import meal_signups, menus

ACTIVE = "active"
CANCELLED = "cancelled"


@dataclass(frozen=True)
class MealSignup:
    id: int
    person_id: int
    day: date
    meal: str
    portions: int
    delivery: bool
    note: str | None
    signed_by: int
    status: str
    created_at: datetime
    updated_at: datetime


class MealRepository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def set_menu(
        self, *, day: date, meal: str, items: str, by: int | None, at: datetime
    ) -> None:
        """Set (or replace) the menu of one meal."""
        await self._conn.execute(menus.delete().where(menus.c.day == day, menus.c.meal == meal))
        await self._conn.execute(
            menus.insert().values(day=day, meal=meal, items=items, set_by=by, set_at=at)
        )

    async def menus_between(self, *, first: date, last: date) -> dict[tuple[date, str], str]:
        """Menus set in chat for days first…last."""
        rows = await self._conn.execute(
            sa.select(menus.c.day, menus.c.meal, menus.c["items"].label("dishes")).where(
                menus.c.day >= first, menus.c.day <= last
            )
        )
        return {(r.day, r.meal): r.dishes for r in rows}

    async def signup_of(self, *, person_id: int, day: date, meal: str) -> MealSignup | None:
        """A person's sign-up for one meal (active or cancelled), if any."""
        row = (
            await self._conn.execute(
                meal_signups.select().where(
                    meal_signups.c.person_id == person_id,
                    meal_signups.c.day == day,
                    meal_signups.c.meal == meal,
                )
            )
        ).first()
        return None if row is None else MealSignup(**row._asdict())

    async def sign_up(
        self,
        *,
        person_id: int,
        day: date,
        meal: str,
        portions: int,
        delivery: bool,
        note: str | None,
        signed_by: int,
        at: datetime,
    ) -> MealSignup:
        """Sign a person up for a meal, replacing an earlier sign-up of theirs for it."""
        values = dict(
            portions=portions,
            delivery=delivery,
            note=note,
            signed_by=signed_by,
            status=ACTIVE,
            updated_at=at,
        )
        existing = await self.signup_of(person_id=person_id, day=day, meal=meal)
        if existing is None:
            await self._conn.execute(
                meal_signups.insert().values(
                    person_id=person_id, day=day, meal=meal, created_at=at, **values
                )
            )
        else:
            await self._conn.execute(
                meal_signups.update().where(meal_signups.c.id == existing.id).values(**values)
            )
        found = await self.signup_of(person_id=person_id, day=day, meal=meal)
        assert found is not None
        return found

    async def cancel(self, *, signup_id: int, at: datetime) -> bool:
        """取消订餐: an active sign-up is cancelled; False if it was not active (any more)."""
        result = await self._conn.execute(
            meal_signups.update()
            .where(meal_signups.c.id == signup_id, meal_signups.c.status == ACTIVE)
            .values(status=CANCELLED, updated_at=at)
        )
        return result.rowcount == 1

    async def portions(self, *, day: date, meal: str, excluding: int | None = None) -> int:
        """Portions signed up for one meal (not counting one person's own sign-up)."""
        query = sa.select(sa.func.coalesce(sa.func.sum(meal_signups.c.portions), 0)).where(
            meal_signups.c.day == day,
            meal_signups.c.meal == meal,
            meal_signups.c.status == ACTIVE,
        )
        if excluding is not None:
            query = query.where(meal_signups.c.person_id != excluding)
        return int(await self._conn.scalar(query) or 0)

    async def signups(self, *, day: date, meal: str) -> list[MealSignup]:
        """Active sign-ups for one meal, in the order they came."""
        rows = await self._conn.execute(
            meal_signups.select()
            .where(
                meal_signups.c.day == day,
                meal_signups.c.meal == meal,
                meal_signups.c.status == ACTIVE,
            )
            .order_by(meal_signups.c.created_at, meal_signups.c.id)
        )
        return [MealSignup(**r._asdict()) for r in rows]

    async def upcoming_of(self, *, person_id: int, since: date) -> list[MealSignup]:
        """A person's active sign-ups from `since` on."""
        rows = await self._conn.execute(
            meal_signups.select()
            .where(
                meal_signups.c.person_id == person_id,
                meal_signups.c.day >= since,
                meal_signups.c.status == ACTIVE,
            )
            .order_by(meal_signups.c.day, meal_signups.c.meal.desc())
        )
        return [MealSignup(**r._asdict()) for r in rows]

    async def days_with_signups(self, *, first: date, last: date) -> list[tuple[date, str]]:
        """(day, meal) that have any sign-up, cancelled ones included, in order."""
        rows = await self._conn.execute(
            sa.select(meal_signups.c.day, meal_signups.c.meal)
            .where(meal_signups.c.day >= first, meal_signups.c.day <= last)
            .distinct()
            .order_by(meal_signups.c.day, meal_signups.c.meal)
        )
        return [(r.day, r.meal) for r in rows]
