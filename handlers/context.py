"""What a handler is given: repositories, clock, settings, the message and its sender."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from handlers import texts
from handlers.chat import Button, ChatKind, Incoming
from handlers.clock import Clock
from handlers.settings import Group, Settings
from storage.people import Person
from storage.questions import PendingQuestion
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class UserError(Exception):
    """A reason shown to the user as it is; the handler's changes are rolled back."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")  # a mainland mobile number


class Context:
    """One handled message's view of the world; everything it sends goes to the outbox."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        clock: Clock,
        settings: Settings,
        incoming: Incoming | None = None,
        person: Person | None = None,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.settings = settings
        self.incoming = incoming
        self.person = person
        self.now = clock.now()
        self.schedule_changed = False  # a handler changed what is scheduled
        self.replays: list[int] = []  # dead letters to replay once committed (the app does)

    @property
    def sender(self) -> Person:
        """The person who sent the message being handled."""
        if self.person is None:
            raise RuntimeError("no sender outside a message")
        return self.person

    @property
    def in_group(self) -> bool:
        return self.incoming is not None and self.incoming.chat_kind is ChatKind.GROUP

    def local(self, at: datetime) -> datetime:
        """A moment in the community's time zone."""
        return at.astimezone(self.settings.timezone)

    @property
    def today(self) -> date:
        """Today in the community's time zone."""
        return self.local(self.now).date()

    def fmt(self, at: datetime) -> str:
        """A moment as residents read it: 11月26日 19:02, in local time."""
        t = self.local(at)
        return texts.TIME_FORMAT.format(month=t.month, day=t.day, hour=t.hour, minute=t.minute)

    async def reply(self, text: str, buttons: Sequence[Button] = ()) -> None:
        """Answer in the chat the message came from (@-mentioning the sender in a group)."""
        msg = self.incoming
        if msg is None:
            raise RuntimeError("no chat to reply to outside a message")
        group = msg.chat_kind is ChatKind.GROUP
        if group:  # a phone number a resident wrote is not repeated to the whole group
            text = _MOBILE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
        await self.uow.outbox.enqueue(
            platform=msg.platform,
            chat_id=msg.chat_id,
            is_group=group,
            text=text,
            buttons=[(b.label, b.action, b.choice) for b in buttons],
            photo=None,
            mention=msg.sender_name if group else None,
            mention_id=msg.sender_id if group else None,
            person_id=None if group else self.sender.id,
            at=self.now,
        )

    async def ask(
        self, kind: str, text: str, *, photo: str | None = None, minutes: int | None = None
    ) -> None:
        """Remember a question to the sender in this chat (its answer may come in the next
        message), for `question_minutes` unless told otherwise."""
        msg = self.incoming
        if msg is None:
            raise RuntimeError("no chat to ask in outside a message")
        await self.uow.questions.ask(
            platform=msg.platform,
            chat_id=msg.chat_id,
            person_id=self.sender.id,
            kind=kind,
            text=text,
            photo=photo,
            expires_at=self.now
            + timedelta(
                minutes=self.settings.reports.question_minutes if minutes is None else minutes
            ),
        )

    async def asked(self) -> PendingQuestion | None:
        """The question the sender has yet to answer in this chat, if it has not expired."""
        msg = self.incoming
        if msg is None:
            return None
        return await self.uow.questions.pending(
            platform=msg.platform, chat_id=msg.chat_id, person_id=self.sender.id, now=self.now
        )

    async def answered(self) -> None:
        """The sender's question in this chat is answered: forget it."""
        msg = self.incoming
        if msg is not None:
            await self.uow.questions.forget(
                platform=msg.platform, chat_id=msg.chat_id, person_id=self.sender.id
            )

    async def reply_privately(self, text: str, buttons: Sequence[Button] = ()) -> None:
        """Answer in private even when asked in a group: what a person's own business shows
        (a report's history, their tickets, their meals) is never posted to the group."""
        if not self.in_group:
            await self.reply(text, buttons)
            return
        if await self.tell(self.sender, text, buttons):
            await self.reply(texts.SENT_PRIVATELY)
        else:
            await self.reply(texts.WRITE_PRIVATELY)

    async def post(
        self,
        group: Group,
        text: str,
        buttons: Sequence[Button] = (),
        *,
        pin: bool = False,
    ) -> None:
        """Post to a group chat."""
        await self.uow.outbox.enqueue(
            platform=group.platform,
            chat_id=group.chat_id,
            is_group=True,
            text=text,
            buttons=[(b.label, b.action, b.choice) for b in buttons],
            photo=None,
            mention=None,
            person_id=None,
            at=self.now,
            pin=pin,
        )

    async def tell(
        self,
        person: Person,
        text: str,
        buttons: Sequence[Button] = (),
        photo: str | None = None,
        *,
        avoid: str | None = None,
        document: str | None = None,
    ) -> bool:
        """Message a person privately on their preferred platform; False if unreachable.

        The platform the message came in on is preferred; `avoid` (a platform that is down)
        is tried last."""
        accounts = {a.platform: a for a in await self.uow.people.accounts_of(person_id=person.id)}
        order = list(self.settings.platforms)
        if self.incoming is not None and self.incoming.platform in order:
            order.remove(self.incoming.platform)
            order.insert(0, self.incoming.platform)
        if avoid in order:
            order.remove(avoid)
            order.append(avoid)
        for platform in order:
            account = accounts.get(platform)
            if account is None or account.unreachable_since is not None:
                continue
            await self.uow.outbox.enqueue(
                platform=platform,
                chat_id=account.native_id,
                is_group=False,
                text=text,
                buttons=[(b.label, b.action, b.choice) for b in buttons],
                photo=photo,
                mention=None,
                person_id=person.id,
                at=self.now,
                document=document,
            )
            return True
        # nobody to reach at all (their data deleted, or never given) is no fault to warn of
        level = logging.WARNING if accounts else logging.INFO
        log.log(level, "person %s has no account on %s; message not queued", person.id, order)
        return False
