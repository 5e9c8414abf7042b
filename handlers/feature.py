"""What a feature module declares about itself, once: its commands, the answers it takes to
questions it asked, what falls due for it, and what the shared verbs mean for its numbers.

Each feature module ends with one `FEATURE = Feature(…)`; the app lists the features once
and takes everything from there."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from handlers.context import Context
from handlers.registry import Command, NumberHandler

DueRun = Callable[[Context], Awaitable[int]]
NextDue = Callable[[Context], Awaitable[datetime | None]]


@dataclass(frozen=True)
class Due:
    """A job that does what has fallen due at ctx.now (returning how much it did), with the
    moment after ctx.now it next falls due: declared together, so they cannot drift apart.
    The app sleeps until the earliest such moment; nothing runs in between."""

    run: DueRun
    next_at: NextDue

    @property
    def name(self) -> str:
        return self.run.__name__


@dataclass(frozen=True)
class Feature:
    """One feature module's manifest."""

    name: str
    commands: tuple[Command, ...] = ()
    # the command that takes the answer to a question of this kind the feature asked
    continuations: Mapping[str, Command] = field(default_factory=dict)
    due: tuple[Due, ...] = ()
    # the shared verbs (接单, 办结, 满意 …) on this feature's own numbers: prefix → verb →
    # handler, e.g. {"S": {"接单": …}} in orders, so `接单 S1` is found there
    verbs: Mapping[str, Mapping[str, NumberHandler]] = field(default_factory=dict)
