"""Service orders (点单, S1, S2, …) routed to the partner who provides the service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from storage.conn import Conn
from storage.errors import NotFound
from storage.schema import UtcDateTime, inserted_id, service_orders

OPEN = "open"
ACKNOWLEDGED = "acknowledged"
RESOLVED = "resolved"


@dataclass(frozen=True)
class ServiceOrder:
    id: int
    service: str
    address: str | None
    wanted: str | None
    requester_id: int
    provider_id: int
    status: str
    created_at: datetime
    ack_due: datetime | None
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    resolution: str | None
    rating: str | None
    reminded: bool

    @property
    def number(self) -> str:
        return f"S{self.id}"


class OrderRepository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def place(
        self,
        *,
        service: str,
        address: str | None,
        wanted: str | None,
        requester_id: int,
        provider_id: int,
        at: datetime,
        ack_due: datetime,
    ) -> ServiceOrder:
        oid = inserted_id(
            await self._conn.execute(
                service_orders.insert().values(
                    service=service,
                    address=address,
                    wanted=wanted,
                    requester_id=requester_id,
                    provider_id=provider_id,
                    status=OPEN,
                    created_at=at,
                    ack_due=ack_due,
                    reminded=False,
                )
            )
        )
        return await self.get(order_id=oid)

    async def get(self, *, order_id: int) -> ServiceOrder:
        row = (
            await self._conn.execute(service_orders.select().where(service_orders.c.id == order_id))
        ).first()
        if row is None:
            raise NotFound(f"S{order_id}")
        return ServiceOrder(**row._asdict())

    # --- transitions: each changes an order only if it is in the state it expects, and
    # returns the order as it now is — None when it was not

    async def acknowledge(self, *, order_id: int, at: datetime) -> ServiceOrder | None:
        """接单: an open order is taken by its provider."""
        return await self._change(
            order_id, service_orders.c.status == OPEN, dict(status=ACKNOWLEDGED, acknowledged_at=at)
        )

    async def resolve(
        self, *, order_id: int, at: datetime, note: str | None
    ) -> ServiceOrder | None:
        """办结: an order not yet done is done (taken now, if it never was)."""
        return await self._change(
            order_id,
            service_orders.c.status.in_((OPEN, ACKNOWLEDGED)),
            dict(
                status=RESOLVED,
                resolved_at=at,
                acknowledged_at=sa.func.coalesce(
                    service_orders.c.acknowledged_at, sa.literal(at, UtcDateTime())
                ),
                resolution=note,
            ),
        )

    async def reopen(self, *, order_id: int) -> ServiceOrder | None:
        """不满意: a done order goes back to its provider, taken, its rating cleared."""
        return await self._change(
            order_id,
            service_orders.c.status == RESOLVED,
            dict(status=ACKNOWLEDGED, rating=None, resolved_at=None),
        )

    async def rate(self, *, order_id: int, rating: str) -> ServiceOrder | None:
        """满意 / 基本满意: the requester's verdict on a done order."""
        return await self._change(
            order_id, service_orders.c.status == RESOLVED, dict(rating=rating)
        )

    async def _change(
        self, order_id: int, expected: sa.ColumnElement[bool], values: dict[str, object]
    ) -> ServiceOrder | None:
        result = await self._conn.execute(
            service_orders.update()
            .where(service_orders.c.id == order_id, expected)
            .values(**values)
        )
        return await self.get(order_id=order_id) if result.rowcount == 1 else None

    async def mark_reminded(self, *, order_id: int) -> bool:
        """Take the reminder of an order; False if another worker already did."""
        result = await self._conn.execute(
            service_orders.update()
            .where(service_orders.c.id == order_id, service_orders.c.reminded.is_(False))
            .values(reminded=True)
        )
        return bool(result.rowcount)

    async def active_of_requester(self, *, person_id: int) -> list[ServiceOrder]:
        """A person's service orders not yet done, oldest first."""
        rows = await self._conn.execute(
            service_orders.select()
            .where(
                service_orders.c.requester_id == person_id,
                service_orders.c.status.in_((OPEN, ACKNOWLEDGED)),
            )
            .order_by(service_orders.c.id)
        )
        return [ServiceOrder(**r._asdict()) for r in rows]

    async def unacknowledged_due(self, *, now: datetime) -> list[ServiceOrder]:
        rows = await self._conn.execute(
            service_orders.select().where(
                service_orders.c.status == OPEN,
                service_orders.c.ack_due <= now,
                service_orders.c.reminded.is_(False),
            )
        )
        return [ServiceOrder(**r._asdict()) for r in rows]

    async def next_ack_due(self, *, after: datetime) -> datetime | None:
        value: datetime | None = await self._conn.scalar(
            sa.select(sa.func.min(service_orders.c.ack_due)).where(
                service_orders.c.status == OPEN,
                service_orders.c.reminded.is_(False),
                service_orders.c.ack_due > after,
            )
        )
        return value
