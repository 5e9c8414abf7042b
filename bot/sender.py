"""The Sender: delivers outbox rows through the adapters, paced, merged, retried with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import random
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

from bot.adapters.base import Adapter, DeliveryFailed
from bot.ops import Metrics
from handlers.clock import Clock
from storage import Database
from storage.outbox import Delivery

log = logging.getLogger(__name__)

MAX_BACKOFF = 300.0
MERGE_MAX = 50  # rows looked at when merging a group's queued answers

# told when a platform refuses a person for good: (platform, chat id, person id, reason)
Unreachable = Callable[[str, str, int | None, str], Awaitable[None]]


def backoff(attempts: int, rng: random.Random) -> float:
    """Seconds to wait after the `attempts`-th failure: doubling, capped, with jitter."""
    base: float = min(MAX_BACKOFF, 2.0**attempts)
    return base * (1 + 0.25 * rng.random())


def _rendered(row: Delivery) -> str:
    return f"@{row.mention} {row.text}" if row.mention else row.text


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        pass
    return True


class Sender:
    """Takes due rows from the outbox, oldest first per chat, to their platform's adapter."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        adapters: Mapping[str, Adapter],
        *,
        batch: int = 200,
        rng: random.Random | None = None,
        on_unreachable: Unreachable | None = None,
        worker: str | None = None,
        lease_seconds: float = 60.0,
        metrics: Metrics | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._adapters = adapters
        self._batch = batch
        self._rng = rng or random.Random()
        self._wake = asyncio.Event()
        self._on_unreachable = on_unreachable
        self.next_ready: datetime | None = None  # when a paced chat may send again
        # several workers may share one outbox: each row is claimed by one of them first
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._lease = timedelta(seconds=lease_seconds)
        self._metrics = metrics

    async def recover(self) -> int:
        """Free the rows a crashed process on this machine was sending, rather than wait for
        its lease to run out; returns how many. Such a row may have reached the platform
        before the crash (no Bot API can say), so it is sent again: at most once more."""
        host = socket.gethostname()
        freed = 0
        async with self._db.unit_of_work() as uow:
            for worker in await uow.outbox.claimants(now=self._clock.now()):
                w_host, _, rest = worker.partition(":")
                pid = rest.partition(":")[0]
                if w_host != host or worker == self.worker or not pid.isdigit():
                    continue
                if _alive(int(pid)):
                    continue  # another bot on this machine, or a recycled pid: the lease decides
                n = await uow.outbox.release(worker=worker)
                log.warning("outbox: %d rows of the dead process %s freed", n, worker)
                freed += n
        return freed

    def wake(self) -> None:
        """Something was queued: look at the outbox now."""
        self._wake.set()

    async def _merge(self, row: Delivery, adapter: Adapter, now: datetime) -> list[Delivery]:
        """A group's queued plain answers, to go out as one message (at least `row`)."""
        if not row.is_group or row.buttons or row.photo:
            return [row]
        async with self._db.unit_of_work() as uow:
            queued = await uow.outbox.queued_for_chat(
                platform=row.platform, chat_id=row.chat_id, now=now, limit=MERGE_MAX
            )
        merged, size = [row], len(_rendered(row))
        for nxt in queued[1:]:
            if nxt.buttons or nxt.photo or size + 2 + len(_rendered(nxt)) > adapter.max_text:
                break
            merged.append(nxt)
            size += 2 + len(_rendered(nxt))
        return merged

    async def deliver_due(self) -> int:
        """Try the head row of every chat that is due and within its limits; return rows sent."""
        now = self._clock.now()
        self.next_ready = None
        async with self._db.unit_of_work() as uow:
            rows = await uow.outbox.due(now=now, platforms=list(self._adapters), limit=self._batch)
        sent = 0
        for row in rows:
            adapter = self._adapters[row.platform]
            if adapter.pacer is not None:
                ready = adapter.pacer.ready_at(row.chat_id, row.is_group, self._clock.now())
                if ready > self._clock.now():
                    self.next_ready = min(ready, self.next_ready or ready)
                    continue
            parts = await self._claim(await self._merge(row, adapter, now))
            if not parts:
                continue  # another worker holds this chat's head row
            delivery = row
            if len(parts) > 1:  # each part keeps its @-mention: the adapter writes them
                delivery = dataclasses.replace(row, parts=tuple(parts))
            try:
                await adapter.send(delivery)
            except DeliveryFailed as exc:
                self._count(
                    row.platform,
                    "refused"
                    if exc.permanent
                    else "retry_after"
                    if exc.retry_after is not None
                    else "retry",
                )
                await self._failed(row, str(exc), exc.retry_after, exc.permanent)
                if exc.unreachable and self._on_unreachable is not None:
                    await self._on_unreachable(row.platform, row.chat_id, row.person_id, str(exc))
                continue
            except Exception as exc:  # an adapter bug must not stop delivery to other chats
                log.exception("adapter %s raised on outbox row %s", row.platform, row.id)
                self._count(row.platform, "error")
                await self._failed(row, repr(exc), None, False)
                continue
            self._count(row.platform, "ok")
            if adapter.pacer is not None:
                adapter.pacer.record(row.chat_id, row.is_group, self._clock.now())
            async with self._db.unit_of_work() as uow:
                await uow.outbox.mark_sent(ids=[p.id for p in parts], at=self._clock.now())
            sent += len(parts)
        return sent

    def _count(self, platform: str, result: str) -> None:
        if self._metrics is not None:
            self._metrics.sends.labels(platform, result).inc()

    async def _claim(self, parts: list[Delivery]) -> list[Delivery]:
        """The leading rows of `parts` this worker managed to claim (order per chat)."""
        now = self._clock.now()
        async with self._db.unit_of_work() as uow:
            got = set(
                await uow.outbox.claim(
                    ids=[p.id for p in parts], worker=self.worker, now=now, until=now + self._lease
                )
            )
        claimed = []
        for part in parts:
            if part.id not in got:
                break
            claimed.append(part)
        return claimed

    async def _failed(
        self, row: Delivery, error: str, retry_after: float | None, permanent: bool
    ) -> None:
        now = self._clock.now()
        retry_at: datetime | None = None
        if not permanent:
            wait = retry_after if retry_after is not None else backoff(row.attempts, self._rng)
            retry_at = now + timedelta(seconds=wait)
        log.warning(
            "outbox row %s to %s:%s not delivered (%s); %s",
            row.id,
            row.platform,
            row.chat_id,
            error,
            "giving up" if retry_at is None else f"retry at {retry_at.isoformat()}",
        )
        async with self._db.unit_of_work() as uow:
            await uow.outbox.mark_failed(delivery_id=row.id, error=error, retry_at=retry_at)

    async def drain(self) -> int:
        """Deliver until nothing more may go out now; return how many rows went out."""
        total = 0
        while (n := await self.deliver_due()) > 0:
            total += n
        return total

    async def run(self) -> None:
        """Deliver for ever: when woken, when a retry falls due, when a paced chat may send."""
        while True:
            self._wake.clear()  # before draining, so a row queued meanwhile wakes us again
            nxt: datetime | None = None
            try:
                await self.drain()
                async with self._db.unit_of_work() as uow:
                    nxt = await uow.outbox.next_due_at(platforms=list(self._adapters))
            except Exception:
                log.exception("outbox delivery failed; trying again shortly")
            now = self._clock.now()
            candidates = [t for t in (nxt, self.next_ready) if t is not None and t > now]
            wait = 5.0
            if candidates:
                wait = min(wait, max(0.01, (min(candidates) - now).total_seconds()))
            elif nxt is not None or self.next_ready is not None:
                wait = 0.01
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a
            # cancellation that meets a wake-up, and this loop would never end
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()
