"""Send pacing: sliding-window limits per chat and overall, on the injected clock."""

from __future__ import annotations

import contextlib
from collections import deque
from dataclasses import dataclass
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
    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.span = timedelta(seconds=seconds)
        self.times: deque[datetime] = deque()

    def ready_at(self, now: datetime) -> datetime:
        while self.times and self.times[0] + self.span <= now:
            self.times.popleft()
        if len(self.times) < self.limit:
            return now
        return self.times[len(self.times) - self.limit] + self.span

    def record(self, at: datetime) -> None:
        self.times.append(at)

    def cancel(self, at: datetime) -> None:
        """Forget one send recorded at `at` (it did not happen after all)."""
        with contextlib.suppress(ValueError):
            self.times.remove(at)


class Pacer:
    """Says when the next send to a chat is allowed; never sleeps itself."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._overall = _Window(self.limits.overall, self.limits.overall_window)
        self._chats: dict[str, list[_Window]] = {}

    def _chat(self, chat_id: str, is_group: bool) -> list[_Window]:
        windows = self._chats.get(chat_id)
        if windows is None:
            lim = self.limits
            windows = [_Window(lim.private, lim.private_window)]
            if is_group:
                windows.append(_Window(lim.group, lim.group_window))
            self._chats[chat_id] = windows
        return windows

    def ready_at(self, chat_id: str, is_group: bool, now: datetime) -> datetime:
        """The earliest moment a message to this chat keeps within every limit."""
        return max(
            self._overall.ready_at(now), *(w.ready_at(now) for w in self._chat(chat_id, is_group))
        )

    def record(self, chat_id: str, is_group: bool, at: datetime) -> None:
        """A message to this chat goes out at `at` (recorded when it starts, so sends in
        flight at the same time count against the limits together)."""
        self._overall.record(at)
        for window in self._chat(chat_id, is_group):
            window.record(at)

    def cancel(self, chat_id: str, is_group: bool, at: datetime) -> None:
        """A send recorded at `at` did not start after all."""
        self._overall.cancel(at)
        for window in self._chat(chat_id, is_group):
            window.cancel(at)
