"""The Sender: delivers outbox rows through the adapters, paced, merged, retried with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
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
    """Takes due rows from the outbox, oldest first per chat, to their platform's adapter.

    Chats are sent to concurrently (at most `concurrency` sends in flight, one per chat, so
    each chat keeps its order): a call that hangs holds up its own chat only. Several
    workers may share one outbox: a row is claimed by one of them before it is sent, and
    each worker renews a heartbeat; a worker whose heartbeat stops is dead, and any live
    worker frees its claims within `dead_after` seconds."""

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
        lease_seconds: float = 30.0,
        metrics: Metrics | None = None,
        concurrency: int = 16,
        landing_window: float = 60.0,
        heartbeat_seconds: float = 1.0,
        dead_after: float = 6.0,
        idle_look_seconds: float = 60.0,
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
        # a claim outlives no heartbeat: renewed with each beat while the worker lives
        self._lease = timedelta(seconds=lease_seconds)
        self._metrics = metrics
        self._concurrency = concurrency
        # how long a request that got no answer may still land on the platform
        self._landing = timedelta(seconds=landing_window)
        self._heartbeat = heartbeat_seconds
        self._dead_after = timedelta(seconds=dead_after)
        self._beaten = False
        # nothing pending in the outbox at the last look (and nothing in flight): no beats,
        # and the next look when woken or after `idle_look_seconds`
        self.idle = False
        self._idle_look = idle_look_seconds
        self._inflight: dict[tuple[str, str], asyncio.Task[int]] = {}

    async def recover(self) -> int:
        """Free the rows a crashed process on this machine was sending, rather than wait for
        its heartbeat to go stale; returns how many. Such a row may have reached the
        platform before the crash (no Bot API can say), so it is sent again: at most once
        more."""
        host = socket.gethostname()
        freed = 0
        async with self._db.unit_of_work() as uow:
            for worker in await uow.outbox.claimants(now=self._clock.now()):
                w_host, _, rest = worker.partition(":")
                pid = rest.partition(":")[0]
                if w_host != host or worker == self.worker or not pid.isdigit():
                    continue
                if _alive(int(pid)):
                    continue  # another bot here, or a recycled pid: the heartbeat decides
                n = await uow.outbox.release(worker=worker)
                log.warning("outbox: %d rows of the dead process %s freed", n, worker)
                freed += n
        return freed

    async def heartbeat(self) -> int:
        """Say this worker is alive (and keep the claims of its sends in flight); free the
        claims of every worker whose heartbeat stopped. Returns how many rows were freed."""
        now = self._clock.now()
        async with self._db.unit_of_work() as uow:
            if not await uow.heartbeats.beat(worker=self.worker, now=now) and self._beaten:
                log.warning("worker %s was taken for dead: its claims were freed", self.worker)
            self._beaten = True
            await uow.outbox.renew(worker=self.worker, until=now + self._lease)
            dead = [
                w
                for w in await uow.heartbeats.dead(before=now - self._dead_after)
                if w != self.worker
            ]
            freed = await uow.outbox.release_of(workers=dead)
            await uow.heartbeats.forget(workers=dead)
        for worker in dead:
            log.warning("worker %s stopped beating: taken for dead", worker)
        if freed:
            log.warning("outbox: %d rows of dead workers freed", freed)
            self._wake.set()
        return freed

    def wake(self) -> None:
        """Something was queued: look at the outbox now."""
        self._wake.set()

    @staticmethod
    def _mergeable(row: Delivery) -> bool:
        # a row whose try got no answer may have reached the chat: merged into a new
        # message it would post a whole merged answer again, so it goes on its own
        return (
            row.is_group
            and not row.buttons
            and not row.photo
            and not row.document
            and not row.maybe_sent
        )

    async def _merge(self, row: Delivery, adapter: Adapter) -> list[Delivery]:
        """A group's queued plain answers, to go out as one message (at least `row`, which
        this worker holds). Only rows nobody else holds are taken; any claimed and not
        used are freed at once."""
        if not self._mergeable(row):
            return [row]
        now = self._clock.now()
        async with self._db.unit_of_work() as uow:
            queued = await uow.outbox.followers(
                head=row, worker=self.worker, now=now, limit=MERGE_MAX - 1
            )
        wanted, size = [], len(_rendered(row))
        for nxt in queued:
            if not self._mergeable(nxt) or size + 2 + len(_rendered(nxt)) > adapter.max_text:
                break
            wanted.append(nxt)
            size += 2 + len(_rendered(nxt))
        if not wanted:
            return [row]
        async with self._db.unit_of_work() as uow:
            got = set(
                await uow.outbox.claim(
                    ids=[p.id for p in wanted],
                    worker=self.worker,
                    now=now,
                    until=now + self._lease,
                )
            )
            merged = [row]
            for part in wanted:
                if part.id not in got:
                    break
                merged.append(part)
            unused = sorted(got - {p.id for p in merged})
            if unused:  # claimed behind a row someone else took: not ours to keep
                await uow.outbox.release(worker=self.worker, ids=unused)
        return merged

    @staticmethod
    def _merged(parts: list[Delivery]) -> Delivery:
        """One delivery carrying every part, in order; each part keeps its @-mention, which
        the adapter writes in the platform's form (so a merged answer still notifies)."""
        if len(parts) == 1:
            return parts[0]
        return dataclasses.replace(parts[0], parts=tuple(parts))

    async def _start_due(
        self, skip: set[tuple[str, str]], *, chain: bool = True
    ) -> list[tuple[tuple[str, str], asyncio.Task[int]]]:
        """Claim the head row of each due chat within its limits and not in flight (nor in
        `skip`), and start sending each; returns the sends started."""
        now = self._clock.now()
        self.next_ready = None
        free = self._concurrency - len(self._inflight)
        if free <= 0:
            return []
        async with self._db.unit_of_work() as uow:
            rows = await uow.outbox.due(
                now=now, platforms=list(self._adapters), limit=self._batch, worker=self.worker
            )
        picked: list[Delivery] = []
        for row in rows:
            key = (row.platform, row.chat_id)
            if key in self._inflight or key in skip:
                continue
            pacer = self._adapters[row.platform].pacer
            if pacer is not None:
                ready = pacer.ready_at(row.chat_id, row.is_group, now)
                if ready > now:
                    self.next_ready = min(ready, self.next_ready or ready)
                    continue
                pacer.record(row.chat_id, row.is_group, now)  # reserved while claiming
            picked.append(row)
            if len(picked) >= free:
                break
        if not picked:
            return []
        async with self._db.unit_of_work() as uow:
            got = set(
                await uow.outbox.claim(
                    ids=[r.id for r in picked], worker=self.worker, now=now, until=now + self._lease
                )
            )
        tasks = []
        for row in picked:
            adapter = self._adapters[row.platform]
            if row.id not in got:  # another worker holds this chat's head row
                if adapter.pacer is not None:
                    adapter.pacer.cancel(row.chat_id, row.is_group, now)
                continue
            key = (row.platform, row.chat_id)
            task = asyncio.create_task(self._send(row, adapter, chain=chain), name=f"send {row.id}")
            self._inflight[key] = task
            task.add_done_callback(functools.partial(self._done, key))
            skip.add(key)
            tasks.append((key, task))
        return tasks

    def _done(self, key: tuple[str, str], _task: asyncio.Task[int]) -> None:
        self._inflight.pop(key, None)
        self._wake.set()  # the chat's next row may go now

    async def _send(self, row: Delivery, adapter: Adapter, *, chain: bool = True) -> int:
        """Send a chat's head row (merged with what may join it), and with `chain` the
        chat's next rows after it while they are due and within the limits, each claimed
        in the transaction that records the one before as sent; return rows sent."""
        sent = 0
        head: Delivery | None = row
        try:
            while head is not None:
                n, head = await self._send_parts(head, adapter, chain)
                sent += n
        except Exception:  # the database, most likely: the row stays claimed by this
            # worker, which sees its own claims and tries it again on its next look
            log.exception("sending outbox row %s failed", row.id)
        return sent

    async def _send_parts(
        self, row: Delivery, adapter: Adapter, chain: bool
    ) -> tuple[int, Delivery | None]:
        parts = await self._merge(row, adapter)
        started = self._clock.now()
        try:
            await adapter.send(self._merged(parts))
        except DeliveryFailed as exc:
            self._count(
                row.platform,
                "refused"
                if exc.permanent
                else "retry_after"
                if exc.retry_after is not None
                else "maybe_sent"
                if exc.maybe_sent
                else "retry",
            )
            await self._failed(parts, str(exc), exc, started)
            if exc.unreachable and self._on_unreachable is not None:
                await self._on_unreachable(row.platform, row.chat_id, row.person_id, str(exc))
            return 0, None
        except Exception as exc:  # an adapter bug must not stop delivery to other chats
            log.exception("adapter %s raised on outbox row %s", row.platform, row.id)
            self._count(row.platform, "error")
            await self._failed(parts, repr(exc), None, started)
            return 0, None
        self._count(row.platform, "ok")
        now = self._clock.now()
        pacer = adapter.pacer
        follow = chain and (pacer is None or pacer.ready_at(row.chat_id, row.is_group, now) <= now)
        if follow and pacer is not None:
            pacer.record(row.chat_id, row.is_group, now)  # reserved while claiming
        nxt: Delivery | None = None
        async with self._db.unit_of_work() as uow:
            await uow.outbox.mark_sent(ids=[p.id for p in parts], at=now)
            if follow:
                nxt = await uow.outbox.claim_next(
                    platform=row.platform,
                    chat_id=row.chat_id,
                    worker=self.worker,
                    now=now,
                    until=now + self._lease,
                )
        if follow and nxt is None and pacer is not None:
            pacer.cancel(row.chat_id, row.is_group, now)
        return len(parts), nxt

    async def deliver_due(self) -> int:
        """Send to every chat that is due and within its limits, one message each, and wait
        for those sends; return rows sent."""
        tried: set[tuple[str, str]] = set()
        sent = 0
        while started := await self._start_due(tried, chain=False):
            sent += sum(await asyncio.gather(*(task for _, task in started)))
        return sent

    def _count(self, platform: str, result: str) -> None:
        if self._metrics is not None:
            self._metrics.sends.labels(platform, result).inc()

    async def _failed(
        self,
        parts: list[Delivery],
        error: str,
        exc: DeliveryFailed | None,
        started: datetime,
    ) -> None:
        row = parts[0]
        now = self._clock.now()
        retry_at: datetime | None = None
        maybe_sent = exc is not None and exc.maybe_sent
        if exc is None or not exc.permanent:
            retry_after = exc.retry_after if exc is not None else None
            wait = retry_after if retry_after is not None else backoff(row.attempts, self._rng)
            retry_at = now + timedelta(seconds=wait)
            if maybe_sent:  # not again while the first request may still land
                retry_at = max(retry_at, started + self._landing)
        log.warning(
            "outbox row %s to %s:%s not delivered (%s%s); %s",
            row.id,
            row.platform,
            row.chat_id,
            error,
            ", may still land" if maybe_sent else "",
            "giving up" if retry_at is None else f"retry at {retry_at.isoformat()}",
        )
        async with self._db.unit_of_work() as uow:
            await uow.outbox.mark_failed(
                delivery_id=row.id,
                error=error,
                retry_at=retry_at,
                others=[p.id for p in parts[1:]],
                maybe_sent=maybe_sent,
            )

    async def drain(self) -> int:
        """Deliver until nothing more may go out now; return how many rows went out. Each
        chat goes on as soon as its own last send ended (a hung chat holds up only itself);
        a chat whose send failed waits for its retry, beyond this drain."""
        sent = 0
        failed: set[tuple[str, str]] = set()
        mine: dict[asyncio.Task[int], tuple[str, str]] = {}
        while True:
            for key, task in await self._start_due(set(failed)):
                mine[task] = key
            if not mine:
                return sent
            done, _ = await asyncio.wait(mine, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                key = mine.pop(task)
                n = task.result()
                sent += n
                if n == 0:
                    failed.add(key)

    async def _beat(self) -> None:
        """Beat while there is anything to send: a worker with nothing in flight holds no
        claims, so no other worker needs to hear it is alive (taken for dead meanwhile, it
        had nothing to free)."""
        while True:
            if self.idle and not self._inflight:
                self._beaten = False  # so the next beat does not warn that it was forgotten
            else:
                try:
                    await self.heartbeat()
                except Exception:
                    log.exception("heartbeat failed; trying again shortly")
            await asyncio.sleep(self._heartbeat)

    async def run(self) -> None:
        """Deliver for ever: when woken, when a retry falls due, when a paced chat may send,
        when a send ends; beating the worker's heartbeat all along."""
        beats = asyncio.create_task(self._beat(), name="heartbeat")
        try:
            while True:
                self._wake.clear()  # before looking, so a row queued meanwhile wakes us again
                nxt: datetime | None = None
                looked = False
                try:
                    await self._start_due(set())
                    async with self._db.unit_of_work() as uow:
                        nxt = await uow.outbox.next_due_at(platforms=list(self._adapters))
                    looked = True
                except Exception:
                    log.exception("outbox delivery failed; trying again shortly")
                now = self._clock.now()
                candidates = [t for t in (nxt, self.next_ready) if t is not None and t > now]
                # rows due now and not started are held: in flight here (their end wakes
                # us), or by another worker (looked at again within a heartbeat)
                wait = self._heartbeat
                if candidates:
                    wait = min(wait, max(0.01, (min(candidates) - now).total_seconds()))
                # an empty outbox: woken when something is queued here; another worker's
                # rows (should it die holding them) are looked at within `idle_look_seconds`
                self.idle = looked and nxt is None and not self.next_ready and not self._inflight
                if self.idle:
                    wait = self._idle_look
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a
                # cancellation that meets a wake-up, and this loop would never end
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self._wake.wait()
        finally:
            beats.cancel()
            for task in list(self._inflight.values()):
                task.cancel()
            await asyncio.gather(beats, *self._inflight.values(), return_exceptions=True)
