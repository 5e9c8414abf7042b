"""A lease in the database: of several workers, exactly one holds a connection at a time."""

from __future__ import annotations

from datetime import timedelta

from bot.worker import worker_id
from handlers.clock import Clock
from storage import Database


class Lease:
    """Held while renewed; a worker that dies loses it after `ttl`."""

    def __init__(
        self, db: Database, clock: Clock, name: str, *, ttl: float = 30.0, holder: str | None = None
    ) -> None:
        self._db = db
        self._clock = clock
        self.name = name
        self.ttl = ttl
        self.holder = holder or worker_id()

    async def acquire(self) -> bool:
        """Take or renew it; False while another worker holds it."""
        now = self._clock.now()
        async with self._db.unit_of_work() as uow:
            return await uow.leases.take(
                name=self.name, holder=self.holder, now=now, until=now + timedelta(seconds=self.ttl)
            )

    async def release(self) -> None:
        async with self._db.unit_of_work() as uow:
            await uow.leases.release(name=self.name, holder=self.holder)
