"""What the Sender needs of a platform adapter, and the message it hands it."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.backoff import INTAKE_CAP, Backoff
from bot.pacing import Pacer
from handlers.chat import Button, ChatKind, Incoming
from storage.errors import is_storage_failure

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


@dataclass(frozen=True)
class Part:
    """One answer of a message: its text, and whom it @-mentions in front of it (the name
    shown, and the platform's id of that person when known)."""

    text: str
    mention: str | None = None
    mention_id: str | None = None


@dataclass(frozen=True)
class Outbound:
    """A message to send, as any platform can: several answers queued for one group go
    out merged, as parts of one message, each keeping its @-mention (so it still
    notifies). Buttons, a photo (a platform's file id) or a document (a file path)."""

    chat_id: str
    is_group: bool
    parts: tuple[Part, ...]
    buttons: tuple[Button, ...] = ()
    photo: str | None = None
    document: str | None = None
    pin: bool = False

    @property
    def text(self) -> str:
        """The answers' texts, without their @-mentions."""
        return "\n\n".join(part.text for part in self.parts)


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at line breaks where possible."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*pieces, text]


def with_mentions(message: Outbound, tag: Callable[[str], str]) -> str:
    """The text of a message, all its merged answers included, each answer's @-mention
    written by `tag` (the platform's form of it) in front of that answer."""
    return "\n\n".join(
        tag(part.mention) + part.text if part.mention else part.text for part in message.parts
    )


class Adapter(Protocol):
    platform: str
    pacer: Pacer | None  # the platform's send limits, or None for none
    max_text: int  # the longest text one message may carry

    async def send(self, message: Outbound) -> None:
        """Deliver one message; raise DeliveryFailed when it did not go through."""
        ...


def describe(exc: BaseException) -> str:
    """One line for a dead letter: the exception's type and message."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:500]


class DeadLetterSink(Protocol):
    async def __call__(
        self,
        *,
        platform: str,
        stage: str,
        ref: str,
        reason: str,
        raw: str,
        exc: BaseException | None = None,
    ) -> int | None:
        """Set an inbound update aside (stored raw, logged once, counted); its number."""
        ...


class Intake(Protocol):
    """What an adapter may ask of the app beyond handing it messages."""

    @property
    def dead_letter(self) -> DeadLetterSink:
        """Where an update is set aside (stored raw, logged once, counted)."""
        ...

    def refusal(self, incoming: Incoming) -> str | None:
        """Why a button press just handled was refused (said as a toast), if it was."""
        ...


async def handle_until_done(
    handle: Handle,
    incoming: Incoming,
    *,
    first_delay: float = 0.5,
    max_delay: float = INTAKE_CAP,
    dead_letter: DeadLetterSink | None = None,
) -> bool:
    """Hand a message to the bot until it is stored. Only a failure of the database itself
    (disk full, read-only, connection lost) is tried again, with growing pauses, rather than
    dropped; anything else would fail the same way for ever and hold up every later message,
    so the message is set aside as a dead letter (or, without `dead_letter`, logged and
    dropped). Whether it was handled: False when set aside (or chatter, or seen before)."""
    backoff = Backoff(first=first_delay, cap=max_delay)
    attempt = 0
    while True:
        attempt += 1
        try:
            handled = await handle(incoming)
        except Exception as exc:
            if not is_storage_failure(exc):
                if dead_letter is None:
                    log.exception(
                        "%s message %s failed (%s); dropped, not retried",
                        incoming.platform,
                        incoming.message_id,
                        describe(exc),
                    )
                else:
                    await dead_letter(
                        platform=incoming.platform,
                        stage="handler",
                        ref=incoming.message_id,
                        reason=describe(exc),
                        raw=incoming_json(incoming),
                        exc=exc,
                    )
                return False
            log.exception(
                "%s message %s could not be stored (try %d); trying again in %.1f s",
                incoming.platform,
                incoming.message_id,
                attempt,
                backoff.delay(attempt),
            )
        else:
            if attempt > 1:
                log.warning(
                    "%s message %s stored after %d tries",
                    incoming.platform,
                    incoming.message_id,
                    attempt,
                )
            return bool(handled)
        await asyncio.sleep(backoff.delay(attempt))


def incoming_json(incoming: Incoming) -> str:
    """A neutral message as JSON, to keep as a dead letter and replay later."""
    data = dataclasses.asdict(incoming)
    data["at"] = incoming.at.isoformat() if isinstance(incoming.at, datetime) else str(incoming.at)
    return json.dumps(data, ensure_ascii=False, default=repr)


def incoming_from_json(raw: str) -> Incoming:
    """The message a dead letter of the handler stage kept."""
    data = json.loads(raw)
    data["at"] = datetime.fromisoformat(data["at"])
    data["chat_kind"] = ChatKind(data["chat_kind"])
    data["attachments"] = tuple(data.get("attachments") or ())
    return Incoming(**data)
