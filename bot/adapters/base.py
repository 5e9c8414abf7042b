"""What the Sender needs of a platform adapter."""

from __future__ import annotations

from typing import Protocol

from bot.pacing import Pacer
from storage.outbox import Delivery


class DeliveryFailed(Exception):
    """A send did not go through.

    `retry_after`: seconds the platform asked us to wait; `permanent`: never retry;
    `unreachable`: the person cannot be messaged (blocked the bot, never started it)."""

    def __init__(
        self,
        reason: str,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
        unreachable: bool = False,
    ) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.permanent = permanent or unreachable
        self.unreachable = unreachable


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at line breaks where possible."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*pieces, text]


class Adapter(Protocol):
    platform: str
    pacer: Pacer | None  # the platform's send limits, or None for none
    max_text: int  # the longest text one message may carry

    async def send(self, delivery: Delivery) -> None:
        """Deliver one outbox row; raise DeliveryFailed when it did not go through."""
        ...
