"""Send pacing: sliding-window limits per chat and overall, on the injected clock."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Limits:
    """How many sends fit in a window: overall, per private chat, per group."""

    overall: int = 30
    overall_window: float = 1.0
    private: int = 3  # about one a second, with short bursts
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


class Pacer:
    """Says when the next send to a chat is allowed; never sleeps itself."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._overall = _Window(self.limits.overall, self.limits.overall_window)
        self._chats: dict[str, _Window] = {}

    def _chat(self, chat_id: str, is_group: bool) -> _Window:
        window = self._chats.get(chat_id)
        if window is None:
            lim = self.limits
            window = (
                _Window(lim.group, lim.group_window)
                if is_group
                else _Window(lim.private, lim.private_window)
            )
            self._chats[chat_id] = window
        return window

    def ready_at(self, chat_id: str, is_group: bool, now: datetime) -> datetime:
        """The earliest moment a message to this chat keeps within every limit."""
        return max(self._overall.ready_at(now), self._chat(chat_id, is_group).ready_at(now))

    def record(self, chat_id: str, is_group: bool, at: datetime) -> None:
        """A message to this chat went out at `at`."""
        self._overall.record(at)
        self._chat(chat_id, is_group).record(at)
