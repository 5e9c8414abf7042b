"""Measuring probes for the benchmarks, off unless an environment variable asks for one.

- LINLI_LOOP_PROBE=path: the event loop's stalls — how late a callback scheduled every
  5 ms runs (its worst, and the worst of each wall-clock second);
- LINLI_COUNT_STATEMENTS=path: the SQL statements (and commits) every SQLAlchemy engine of
  the process executes.

Each writes its figures as JSON to its path about once a second and when the process ends,
so a benchmark can read them while the process runs (between two readings: a rate)."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

LOOP_PROBE = "LINLI_LOOP_PROBE"
COUNT_STATEMENTS = "LINLI_COUNT_STATEMENTS"
KEEP_SECONDS = 900  # per-second worsts kept (the last quarter of an hour)


class LoopLag:
    """How late a callback the loop should run every `interval` seconds runs: while a
    callback or a statement holds the loop, nothing else (handling, sending) runs either.
    Measured with the loop's own clock; a stall shorter than `interval` may be missed.

    On a machine shared with other work the process also waits for a core, and that
    lateness is not the loop's doing: `worst_on_cpu` counts only the part of each lateness
    the loop's thread spent running (its CPU time meanwhile; a statement blocked on the
    disk is in `worst` alone)."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.worst = 0.0
        self.worst_on_cpu = 0.0
        self.over_20ms = 0
        self.over_20ms_on_cpu = 0
        self.ticks = 0
        # wall-clock second → its worst lateness, and its worst on the CPU
        self.per_second: dict[int, tuple[float, float]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._due = 0.0
        self._cpu = 0.0
        self._handle: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._schedule(self._loop.time())

    def _schedule(self, now: float) -> None:
        assert self._loop is not None
        self._due = now + self.interval
        self._cpu = time.thread_time()
        self._handle = self._loop.call_at(self._due, self._tick)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    async def __aenter__(self) -> LoopLag:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop()

    def _tick(self) -> None:
        assert self._loop is not None
        now = self._loop.time()
        late = max(0.0, now - self._due)
        on_cpu = min(late, time.thread_time() - self._cpu)
        self.ticks += 1
        self.worst = max(self.worst, late)
        self.worst_on_cpu = max(self.worst_on_cpu, on_cpu)
        self.over_20ms += late > 0.020
        self.over_20ms_on_cpu += on_cpu > 0.020
        second = int(time.time())
        wall_worst, cpu_worst = self.per_second.get(second, (0.0, 0.0))
        if late > wall_worst or on_cpu > cpu_worst:
            self.per_second[second] = (max(late, wall_worst), max(on_cpu, cpu_worst))
            if len(self.per_second) > KEEP_SECONDS:
                del self.per_second[min(self.per_second)]
        self._schedule(now)

    def figures(self) -> dict[str, Any]:
        seconds = sorted(self.per_second.items())
        return {
            "worst_ms": round(1000 * self.worst, 2),
            "worst_on_cpu_ms": round(1000 * self.worst_on_cpu, 2),
            "over_20ms": self.over_20ms,
            "over_20ms_on_cpu": self.over_20ms_on_cpu,
            "ticks": self.ticks,
            "interval_ms": 1000 * self.interval,
            "per_second_worst_ms": {str(s): round(1000 * w, 2) for s, (w, _) in seconds},
            "per_second_worst_on_cpu_ms": {str(s): round(1000 * c, 2) for s, (_, c) in seconds},
        }


class StatementCount:
    """Statements executed and transactions committed by every SQLAlchemy engine."""

    def __init__(self) -> None:
        self.statements = 0
        self.commits = 0
        self.by_statement: Counter[str] = Counter()  # a statement's beginning → how often

    def start(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.listen(Engine, "before_cursor_execute", self._statement)
        event.listen(Engine, "commit", self._commit)

    def stop(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.remove(Engine, "before_cursor_execute", self._statement)
        event.remove(Engine, "commit", self._commit)

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.statements += 1
        self.by_statement[" ".join(statement[:160].split())[:90]] += 1

    def _commit(self, *_: Any) -> None:
        self.commits += 1

    def figures(self) -> dict[str, Any]:
        return {
            "statements": self.statements,
            "commits": self.commits,
            "by_statement": dict(self.by_statement.most_common(60)),
        }


def _write(path: str, figures: dict[str, Any]) -> None:
    """Replace the file at once (a reader never sees half of it)."""
    temporary = Path(f"{path}.tmp")
    with contextlib.suppress(OSError):
        temporary.write_text(json.dumps({**figures, "written_at": time.time()}))
        os.replace(temporary, path)


_started: list[Any] = []  # the probes of this process (started once)


def start_from_environment() -> None:
    """Start the probes the environment asks for; nothing when it asks for none. Call on
    the running loop."""
    lag_path, count_path = os.environ.get(LOOP_PROBE), os.environ.get(COUNT_STATEMENTS)
    if _started or not (lag_path or count_path):
        return
    lag = LoopLag() if lag_path else None
    count = StatementCount() if count_path else None
    if lag is not None:
        lag.start()
    if count is not None:
        count.start()
    _started.extend(p for p in (lag, count) if p is not None)

    def flush() -> None:
        if lag is not None and lag_path:
            _write(lag_path, lag.figures())
        if count is not None and count_path:
            _write(count_path, count.figures())

    loop = asyncio.get_running_loop()

    def every_second() -> None:
        flush()
        loop.call_later(1.0, every_second)

    loop.call_later(1.0, every_second)
    atexit.register(flush)
