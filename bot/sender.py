"""The Sender: delivers outbox rows through the adapters, paced, merged, retried with backoff.

A round takes the due rows of every chat it may send to in one transaction (claimed, with
the group answers merged into them), sends them concurrently, and records the outcomes of
the sends that ended together in one transaction."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.adapters.base import Adapter, DeliveryFailed, Outbound, Part
from bot.backoff import SEND
from bot.ops import Metrics
from bot.pacing import Slot
from bot.worker import parse_worker, worker_id
from handlers.chat import Button
from handlers.clock import Clock
from storage import Database
from storage.outbox import Delivery
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

MERGE_MAX = 50  # rows looked at when merging a group's queued answers
# a private chat's rows sent in one go, one after the other, when its limits let them
CHAT_RUN = 8

# told when a platform refuses a person for good: (platform, chat id, person id, reason)
Unreachable = Callable[[str, str, int | None, str], Awaitable[None]]


def outbound(rows: list[Delivery]) -> Outbound:
    """The message the adapter sends for these rows: one row, or a group's queued answers
    merged (each keeps its @-mention, which the adapter writes in the platform's form)."""
    head = rows[0]
    return Outbound(
        chat_id=head.chat_id,
        is_group=head.is_group,
        parts=tuple(Part(r.text, r.mention, r.mention_id) for r in rows),
        buttons=tuple(Button(label, action, choice) for label, action, choice in head.buttons),
        photo=head.photo,
        document=head.document,
        pin=head.pin,
    )


@dataclass
class _Send:
    """One message on its way: the rows it carries, and how it ended."""

    key: tuple[str, str]
    rows: list[Delivery]
    adapter: Adapter
    slot: Slot | None
    started: datetime
    tried: bool = False  # not when a send before it in its chat failed
    ok: bool = False
    failure: DeliveryFailed | None = None
    error: str = ""


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
        self.worker = worker or worker_id()
        # a claim outlives no heartbeat: renewed with each beat while the worker lives
        self._lease = timedelta(seconds=lease_seconds)
        self._metrics = metrics
        self._concurrency = concurrency
        # how long a request that got no answer may still land on the platform
        self._landing = timedelta(seconds=landing_window)
        self._heartbeat = heartbeat_seconds
        self._dead_after = timedelta(seconds=dead_after)
        self._beaten = False
        self._inflight: dict[tuple[str, str], asyncio.Task[list[_Send]]] = {}
        self._next_due: datetime | None = None
        # whether run's next round looks at the outbox (due rows, claims, the next due
        # moment) or only records the sends that ended: a send's end is worth a look only
        # when its chat has rows behind it (_more) or due rows were left for want of room
        self._look = True
        self._more: set[tuple[str, str]] = set()
        self._look_on_end = False
        # nothing pending in the outbox at the last look (and nothing in flight): no beats,
        # and the next look when woken or after `idle_look_seconds`
        self.idle = False
        # the beat loop saw the sender idle and stopped beating (no heartbeat in flight)
        self.resting = False
        self._idle_look = idle_look_seconds

    async def recover(self) -> int:
        """Free the rows a crashed process on this machine was sending, rather than wait for
        its heartbeat to go stale; returns how many. Such a row may have reached the
        platform before the crash (no Bot API can say), so it is sent again: at most once
        more."""
        host = socket.gethostname()
        freed = 0
        async with self._db.unit_of_work() as uow:
            for worker in await uow.outbox.claimants(now=self._clock.now()):
                w_host, pid = parse_worker(worker)
                if w_host != host or worker == self.worker or pid is None:
                    continue
                if _alive(pid):
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
            self.wake()
        return freed

    def wake(self) -> None:
        """Something was queued: look at the outbox now."""
        self._look = True
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

    async def _merge(
        self, uow: UnitOfWork, row: Delivery, adapter: Adapter, now: datetime
    ) -> list[Delivery]:
        """A group's queued plain answers, to go out as one message (at least `row`, which
        this worker holds). Only rows nobody else holds are taken; any claimed and not
        used are freed at once."""
        if not self._mergeable(row):
            self._more.add((row.platform, row.chat_id))  # not looked behind it
            return [row]
        queued, more = await uow.outbox.followers(
            head=row, worker=self.worker, now=now, limit=MERGE_MAX - 1
        )
        wanted, size = [], len(_rendered(row))
        for nxt in queued:
            if not self._mergeable(nxt) or size + 2 + len(_rendered(nxt)) > adapter.max_text:
                break
            wanted.append(nxt)
            size += 2 + len(_rendered(nxt))
        if more or len(wanted) < len(queued):
            self._more.add((row.platform, row.chat_id))
        if not wanted:
            return [row]
        got = set(
            await uow.outbox.claim(
                ids=[p.id for p in wanted], worker=self.worker, now=now, until=now + self._lease
            )
        )
        merged = [row]
        for part in wanted:
            if part.id not in got:
                self._more.add((row.platform, row.chat_id))
                break
            merged.append(part)
        unused = sorted(got - {p.id for p in merged})
        if unused:  # claimed behind a row someone else took: not ours to keep
            await uow.outbox.release(worker=self.worker, ids=unused)
        return merged

    async def _start_due(
        self, skip: set[tuple[str, str]], *, look_ahead: bool = False
    ) -> list[asyncio.Task[list[_Send]]]:
        """In one transaction: the head row of each due chat within its limits and not in
        flight (nor in `skip`), claimed, with what merges into it; then start sending each
        (and add its chat to `skip`). With `look_ahead`, note when the next row falls due.
        Returns the sends started."""
        now = self._clock.now()
        self.next_ready = None
        free = self._concurrency - len(self._inflight)
        if free <= 0:
            self._look_on_end = True  # whatever is due waits for room: a send's end
            if not look_ahead:
                return []
        runs: list[list[_Send]] = []
        async with self._db.unit_of_work() as uow:
            rows = []
            if free > 0:
                rows = await uow.outbox.due(
                    now=now, platforms=list(self._adapters), limit=self._batch, worker=self.worker
                )
            picked: list[tuple[Delivery, Slot | None]] = []
            if len(rows) >= self._batch:
                self._look_on_end = True  # more chats may be due than were read
            for row in rows:
                key = (row.platform, row.chat_id)
                if key in self._inflight:
                    self._more.add(key)  # its next row, behind the send in flight
                    continue
                if key in skip:
                    continue
                pacer = self._adapters[row.platform].pacer
                slot = None
                if pacer is not None:
                    ready = pacer.ready_at(row.chat_id, row.is_group, now)
                    if ready > now:
                        self.next_ready = min(ready, self.next_ready or ready)
                        continue
                    slot = pacer.take(row.chat_id, row.is_group)  # held while claiming
                picked.append((row, slot))
                if len(picked) >= free:
                    self._look_on_end = True  # due chats left for want of room
                    break
            got = set()
            if picked:
                got = set(
                    await uow.outbox.claim(
                        ids=[r.id for r, _ in picked],
                        worker=self.worker,
                        now=now,
                        until=now + self._lease,
                    )
                )
            for row, slot in picked:
                adapter = self._adapters[row.platform]
                if row.id not in got:  # another worker holds this chat's head row
                    if adapter.pacer is not None and slot is not None:
                        adapter.pacer.cancel(slot)
                    continue
                key = (row.platform, row.chat_id)
                self._more.discard(key)  # what is behind this run, it says below
                if row.is_group:
                    merged = await self._merge(uow, row, adapter, now)
                    runs.append([_Send(key, merged, adapter, slot, now)])
                else:
                    runs.append(await self._run_of(uow, row, adapter, slot, now))
            if look_ahead:
                self._next_due = await uow.outbox.next_due_at(platforms=list(self._adapters))
        tasks = []
        for run in runs:
            key = run[0].key
            task = asyncio.create_task(self._send_run(run), name=f"send {run[0].rows[0].id}")
            self._inflight[key] = task
            task.add_done_callback(lambda _t: self._wake.set())  # recorded, run decides
            skip.add(key)
            tasks.append(task)
        return tasks

    async def _run_of(
        self, uow: UnitOfWork, head: Delivery, adapter: Adapter, slot: Slot | None, now: datetime
    ) -> list[_Send]:
        """A private chat's head row and the rows queued after it that its limits let go
        now too (each its own message), claimed: sent one after the other in one go."""
        run = [_Send((head.platform, head.chat_id), [head], adapter, slot, now)]
        pacer = adapter.pacer
        slots: list[Slot | None] = []
        while len(slots) < CHAT_RUN - 1 and (
            pacer is None or pacer.ready_at(head.chat_id, False, now) <= now
        ):
            slots.append(pacer.take(head.chat_id, False) if pacer is not None else None)
        if not slots:  # its limits let nothing more go now: whatever is behind waits
            self._more.add(run[0].key)
        if slots:
            queued, more = await uow.outbox.followers(
                head=head, worker=self.worker, now=now, limit=len(slots)
            )
            if more:
                self._more.add(run[0].key)
            got = set()
            if queued:
                got = set(
                    await uow.outbox.claim(
                        ids=[r.id for r in queued],
                        worker=self.worker,
                        now=now,
                        until=now + self._lease,
                    )
                )
            for row in queued:
                if row.id not in got:
                    self._more.add(run[0].key)
                    break
                run.append(_Send(run[0].key, [row], adapter, slots[len(run) - 1], now))
            unused = sorted(got - {s.rows[0].id for s in run})
            if unused:  # behind a row someone else took: not ours to keep
                await uow.outbox.release(worker=self.worker, ids=unused)
            for extra in slots[len(run) - 1 :]:
                if pacer is not None and extra is not None:
                    pacer.cancel(extra)
        return run

    async def _send_run(self, run: list[_Send]) -> list[_Send]:
        """A chat's messages in order, until one fails (the rest wait behind it)."""
        for send in run:
            send.started = self._clock.now()
            await self._send(send)
            if not send.ok:
                break
        for send in run:
            if not send.tried and send.slot is not None and send.adapter.pacer is not None:
                send.adapter.pacer.cancel(send.slot)
        return run

    async def _send(self, send: _Send) -> _Send:
        """Hand one message to its adapter; how it ended is recorded by _record."""
        send.tried = True
        try:
            await send.adapter.send(outbound(send.rows))
        except DeliveryFailed as exc:
            send.failure = exc
        except Exception as exc:  # an adapter bug must not stop delivery to other chats
            log.exception("adapter %s raised on outbox row %s", send.key[0], send.rows[0].id)
            send.error = repr(exc)
        else:
            send.ok = True
        finally:
            if send.slot is not None and send.adapter.pacer is not None:
                # counted from its end: the platform got it somewhere before that
                send.adapter.pacer.settle(send.slot, self._clock.now())
        return send

    async def _record(self) -> list[_Send]:
        """Record the sends that ended, in one transaction: sent, or when to try again;
        their chats may go on. Returns them."""
        done = {key: task for key, task in self._inflight.items() if task.done()}
        if not done:
            return []
        for key in done:
            del self._inflight[key]
        runs = [t.result() for t in done.values() if not t.cancelled()]
        sends = [s for run in runs for s in run if s.tried]
        untried = [r.id for run in runs for s in run if not s.tried for r in s.rows]
        now = self._clock.now()
        failed: list[tuple[_Send, datetime | None]] = []
        for send in sends:
            if send.ok:
                self._count(send.key[0], "ok")
                continue
            exc = send.failure
            self._count(
                send.key[0],
                "error"
                if exc is None
                else "refused"
                if exc.permanent
                else "retry_after"
                if exc.retry_after is not None
                else "maybe_sent"
                if exc.maybe_sent
                else "retry",
            )
            failed.append((send, self._retry_at(send, now)))
        if failed or untried:  # their chats wait for a retry: when, the next look says
            self._look = True
        try:
            async with self._db.unit_of_work() as uow:
                sent = [r.id for s in sends if s.ok for r in s.rows]
                if sent:
                    await uow.outbox.mark_sent(ids=sent, at=now)
                if untried:  # behind a failed send: they wait for it, unclaimed
                    await uow.outbox.release(worker=self.worker, ids=untried)
                for send, retry_at in failed:
                    await uow.outbox.mark_failed(
                        delivery_id=send.rows[0].id,
                        error=str(send.failure) if send.failure is not None else send.error,
                        retry_at=retry_at,
                        others=[p.id for p in send.rows[1:]],
                        maybe_sent=send.failure is not None and send.failure.maybe_sent,
                    )
        except Exception:  # the database, most likely: the rows stay claimed by this
            # worker, which sees its own claims and tries them again on its next look
            log.exception("recording %d sends failed", len(sends))
            self._look = True
            return []
        for send, _ in failed:
            exc = send.failure
            if exc is not None and exc.unreachable and self._on_unreachable is not None:
                row = send.rows[0]
                await self._on_unreachable(row.platform, row.chat_id, row.person_id, str(exc))
        return sends

    def _retry_at(self, send: _Send, now: datetime) -> datetime | None:
        """When a failed send is tried again; None: never (refused for good)."""
        row, exc = send.rows[0], send.failure
        retry_at: datetime | None = None
        maybe_sent = exc is not None and exc.maybe_sent
        if exc is None or not exc.permanent:
            retry_after = exc.retry_after if exc is not None else None
            wait = (
                retry_after if retry_after is not None else SEND.delay(row.attempts + 1, self._rng)
            )
            retry_at = now + timedelta(seconds=wait)
            if maybe_sent:  # not again while the first request may still land
                retry_at = max(retry_at, send.started + self._landing)
        log.warning(
            "outbox row %s to %s:%s not delivered (%s%s); %s",
            row.id,
            row.platform,
            row.chat_id,
            str(exc) if exc is not None else send.error,
            ", may still land" if maybe_sent else "",
            "giving up" if retry_at is None else f"retry at {retry_at.isoformat()}",
        )
        return retry_at

    async def deliver_due(self) -> int:
        """Send to every chat that is due and within its limits (what one round may send it:
        a group one message, a private chat its queued rows its limits let go now), and
        wait for those sends; return rows sent."""
        tried: set[tuple[str, str]] = set()
        sent = 0
        while started := await self._start_due(tried):
            await asyncio.wait(started)
            sent += sum(len(s.rows) for s in await self._record() if s.ok)
        return sent

    def _count(self, platform: str, result: str) -> None:
        if self._metrics is not None:
            self._metrics.sends.labels(platform, result).inc()

    async def drain(self) -> int:
        """Deliver until nothing more may go out now; return how many rows went out. Each
        chat goes on as soon as its own last send ended (a hung chat holds up only itself);
        a chat whose send failed waits for its retry, beyond this drain."""
        sent = 0
        failed: set[tuple[str, str]] = set()
        while True:
            await self._start_due(set(failed))
            if not self._inflight:
                return sent
            await asyncio.wait(self._inflight.values(), return_when=asyncio.FIRST_COMPLETED)
            for send in await self._record():
                if send.ok:
                    sent += len(send.rows)
                else:
                    failed.add(send.key)

    async def _beat(self) -> None:
        """Beat while there is anything to send: a worker with nothing in flight holds no
        claims, so no other worker needs to hear it is alive (taken for dead meanwhile, it
        had nothing to free)."""
        while True:
            if self.idle and not self._inflight:
                self._beaten = False  # so the next beat does not warn that it was forgotten
                self.resting = True
            else:
                self.resting = False
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
            woken = True
            last = self._clock.now()  # when the outbox was last looked at
            while True:
                self._wake.clear()  # before looking, so a row queued meanwhile wakes us again
                looked = False
                try:
                    recorded = await self._record()
                    # a chat the last look found rows behind, or due chats it left for
                    # want of room (decided here, after the look: a send may end during it)
                    if recorded and (
                        self._look_on_end or any(s.key in self._more for s in recorded)
                    ):
                        self._look = True
                    now = self._clock.now()
                    # a retry or a paced chat that fell due since the last look (one due
                    # before it is in flight, or held by another worker)
                    timers = (self._next_due, self.next_ready)
                    fell_due = any(t is not None and last < t <= now for t in timers)
                    # woken only by sends that ended with nothing behind them: recorded,
                    # nothing to look for (a wait that ran out always looks)
                    if self._look or not woken or fell_due:
                        self._look = self._look_on_end = False
                        self._next_due = None
                        last = now
                        await self._start_due(set(), look_ahead=True)
                        looked = True
                except Exception:
                    self._look, self.idle = True, False
                    log.exception("outbox delivery failed; trying again shortly")
                now = self._clock.now()
                candidates = [
                    t for t in (self._next_due, self.next_ready) if t is not None and t > now
                ]
                # rows due now and not started are held: in flight here (their end wakes
                # us), or by another worker (looked at again within a heartbeat)
                wait = self._heartbeat
                if candidates:
                    wait = min(wait, max(0.01, (min(candidates) - now).total_seconds()))
                # an empty outbox: woken when something is queued here; another worker's
                # rows (should it die holding them) are looked at within `idle_look_seconds`
                if looked:
                    self.idle = (
                        self._next_due is None and not self.next_ready and not self._inflight
                    )
                if self.idle:
                    wait = self._idle_look
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a
                # cancellation that meets a wake-up, and this loop would never end
                woken = False
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self._wake.wait()
                        woken = True
        finally:
            beats.cancel()
            for task in list(self._inflight.values()):
                task.cancel()
            await asyncio.gather(beats, *self._inflight.values(), return_exceptions=True)
