"""The Sender: delivers outbox rows through the adapters, retrying failures with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.adapters.base import Adapter, DeliveryFailed
from handlers.clock import Clock
from storage import Database

log = logging.getLogger(__name__)

MAX_BACKOFF = 300.0


def backoff(attempts: int, rng: random.Random) -> float:
    """Seconds to wait after the `attempts`-th failure: doubling, capped, with jitter."""
    base: float = min(MAX_BACKOFF, 2.0**attempts)
    return base * (1 + 0.25 * rng.random())


class Sender:
    """Takes due rows from the outbox in order and hands them to their platform's adapter."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        adapters: Mapping[str, Adapter],
        *,
        batch: int = 100,
        rng: random.Random | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._adapters = adapters
        self._batch = batch
        self._rng = rng or random.Random()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Something was queued: look at the outbox now."""
        self._wake.set()

    async def deliver_due(self) -> int:
        """Try every row that is due now, once; return how many went out."""
        now = self._clock.now()
        async with self._db.unit_of_work() as uow:
            rows = await uow.outbox.due(now=now, platforms=list(self._adapters), limit=self._batch)
        blocked: set[tuple[str, str]] = set()  # a chat whose row failed waits: order per chat
        sent = 0
        for row in rows:
            chat = (row.platform, row.chat_id)
            if chat in blocked:
                continue
            try:
                await self._adapters[row.platform].send(row)
            except DeliveryFailed as exc:
                blocked.add(chat)
                await self._failed(row.id, row.attempts, str(exc), exc.retry_after, exc.permanent)
                continue
            except Exception as exc:  # an adapter bug must not stop delivery of the rest
                log.exception("adapter %s raised on outbox row %s", row.platform, row.id)
                blocked.add(chat)
                await self._failed(row.id, row.attempts, repr(exc), None, False)
                continue
            async with self._db.unit_of_work() as uow:
                await uow.outbox.mark_sent(ids=[row.id], at=self._clock.now())
            sent += 1
        return sent

    async def _failed(
        self, row_id: int, attempts: int, error: str, retry_after: float | None, permanent: bool
    ) -> None:
        now = self._clock.now()
        retry_at: datetime | None = None
        if not permanent:
            wait = retry_after if retry_after is not None else backoff(attempts, self._rng)
            retry_at = now + timedelta(seconds=wait)
        log.warning(
            "outbox row %s not delivered (%s); %s",
            row_id,
            error,
            "giving up" if retry_at is None else f"retry at {retry_at.isoformat()}",
        )
        async with self._db.unit_of_work() as uow:
            await uow.outbox.mark_failed(delivery_id=row_id, error=error, retry_at=retry_at)

    async def drain(self) -> int:
        """Deliver until nothing more is due now; return how many went out."""
        total = 0
        while (n := await self.deliver_due()) > 0:
            total += n
        return total

    async def run(self) -> None:
        """Deliver for ever: when woken, or when the next retry falls due."""
        while True:
            self._wake.clear()  # before draining, so a row queued meanwhile wakes us again
            try:
                await self.drain()
                async with self._db.unit_of_work() as uow:
                    nxt = await uow.outbox.next_due_at(platforms=list(self._adapters))
            except Exception:
                log.exception("outbox delivery failed; trying again shortly")
                nxt = None
            wait = 5.0
            if nxt is not None:
                wait = min(wait, max(0.05, (nxt - self._clock.now()).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)
