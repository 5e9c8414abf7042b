"""Send pacing: sliding-window limits per chat and overall, on the injected clock."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Limits:
    """How many sends fit in a window: overall, per chat (groups included), per group.

    `private`/`private_window` is the per-chat rate with its short burst; it applies to
    every chat, groups too (Telegram: about one message a second per chat, groups
    included). Groups keep their own slower budget on top (Telegram: 20 a minute)."""

    overall: int = 30
    overall_window: float = 1.0
    private: int = 3  # about one a second per chat, with short bursts
    private_window: float = 3.0
    group: int = 20
    group_window: float = 60.0


class _Window:
    """The sends of one window: those that ended (at the time their answer came), in
    order, and those still in flight (which may reach the platform any time until then)."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.span = timedelta(seconds=seconds)
        self.ended: list[datetime] = []  # sorted
        self.flying = 0

    def ready_at(self, now: datetime) -> datetime:
        cut = bisect.bisect_right(self.ended, now - self.span)
        del self.ended[:cut]
        over = len(self.ended) + self.flying - self.limit + 1  # sends that must age out
        if over <= 0:
            return now
        if over > len(self.ended):  # only a send in flight could free the room: not
            return now + self.span  # before it ends (which wakes the sender anyway)
        return self.ended[over - 1] + self.span


@dataclass(eq=False)
class Slot:
    """One send's place in the limits: taken when it starts, settled when it ends."""

    windows: tuple[_Window, ...]
    open: bool = field(default=True)


class Pacer:
    """Says when the next send to a chat is allowed; never sleeps itself.

    A send counts from when it starts until its answer comes, and then at the moment the
    answer came: the platform received it somewhere in between, so a window counted from
    the end is never shorter than the platform's own (counted from the start, a send
    that took longer to arrive than the one a window later got a 429)."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._overall = _Window(self.limits.overall, self.limits.overall_window)
        self._chats: dict[str, tuple[_Window, ...]] = {}

    def _windows(self, chat_id: str, is_group: bool) -> tuple[_Window, ...]:
        windows = self._chats.get(chat_id)
        if windows is None:
            lim = self.limits
            windows = (self._overall, _Window(lim.private, lim.private_window))
            if is_group:
                windows += (_Window(lim.group, lim.group_window),)
            self._chats[chat_id] = windows
        return windows

    def ready_at(self, chat_id: str, is_group: bool, now: datetime) -> datetime:
        """The earliest moment a message to this chat keeps within every limit."""
        return max(w.ready_at(now) for w in self._windows(chat_id, is_group))

    def take(self, chat_id: str, is_group: bool) -> Slot:
        """A message to this chat starts now (taken before it is claimed, so the sends in
        flight at the same time count against the limits together)."""
        windows = self._windows(chat_id, is_group)
        for window in windows:
            window.flying += 1
        return Slot(windows)

    def settle(self, slot: Slot, at: datetime) -> None:
        """The send ended at `at` (answered, failed or timed out: it may have landed)."""
        if slot.open:
            slot.open = False
            for window in slot.windows:
                window.flying -= 1
                bisect.insort(window.ended, at)

    def cancel(self, slot: Slot) -> None:
        """The send did not start after all."""
        if slot.open:
            slot.open = False
            for window in slot.windows:
                window.flying -= 1
