"""What the Sender needs of a platform adapter."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.pacing import Pacer
from handlers.chat import Incoming
from storage.outbox import Delivery

log = logging.getLogger(__name__)

Handle = Callable[[Incoming], Awaitable[bool]]


class DeliveryFailed(Exception):
    """A send did not go through.

    `retry_after`: seconds the platform asked us to wait; `permanent`: never retry;
    `unreachable`: the person cannot be messaged (blocked the bot, never started it);
    `maybe_sent`: the request reached the platform and got no answer (a time-out while
    waiting for it), so the message may still land: the Sender waits out its landing
    window before trying again, and does not merge those rows again."""

    def __init__(
        self,
        reason: str,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
        unreachable: bool = False,
        maybe_sent: bool = False,
    ) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.maybe_sent = maybe_sent
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


async def handle_until_done(
    handle: Handle, incoming: Incoming, *, first_delay: float = 0.5, max_delay: float = 30.0
) -> None:
    """Hand a message to the bot until it is stored: a failure here is the database refusing
    (disk full, read-only, connection lost), never a handler's bug (App.handle answers
    those), so the message is tried again with growing pauses rather than dropped."""
    delay = first_delay
    attempt = 0
    while True:
        attempt += 1
        try:
            await handle(incoming)
            if attempt > 1:
                log.warning(
                    "%s message %s stored after %d tries",
                    incoming.platform,
                    incoming.message_id,
                    attempt,
                )
            return
        except Exception:
            log.exception(
                "%s message %s could not be stored (try %d); trying again in %.1f s",
                incoming.platform,
                incoming.message_id,
                attempt,
                delay,
            )
        await asyncio.sleep(delay)
        delay = min(max_delay, delay * 2)
