"""What a handler is given: repositories, clock, settings, the message and its sender."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from handlers import texts
from handlers.chat import Button, ChatKind, Incoming
from handlers.clock import Clock
from storage.people import Person
from storage.questions import PendingQuestion
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class UserError(Exception):
    """A reason shown to the user as it is; the handler's changes are rolled back."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Category:
    """A kind of hazard: the words that name it and its deadlines."""

    name: str
    keywords: tuple[str, ...]
    ack_minutes: int | None = None
    resolve_hours: int | None = None
    also_roles: tuple[str, ...] = ()  # roles told as well, e.g. 物业 for 电梯故障
    rules: tuple[tuple[str, float], ...] = ()  # concept combinations; empty: the built-in ones


@dataclass(frozen=True)
class ReportSettings:
    ack_minutes: int = 30
    urgent_ack_minutes: int = 5
    resolve_hours: int = 24
    categories: tuple[Category, ...] = ()
    urgent_fire_words: tuple[str, ...] = ()
    urgent_gas_words: tuple[str, ...] = ()
    urgent_gas_rules: tuple[str, ...] = ()
    not_urgent_words: tuple[str, ...] = ()
    concepts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    fire_line: str = "119"
    gas_line: str = "燃气抢修电话"
    duplicate_window_hours: int = 24
    resolve_grace_hours: int = 4  # after the resolution reminder, until it escalates
    recheck_days: int = 7
    recheck_categories: tuple[str, ...] = ("飞线充电", "电动车进楼")
    question_minutes: int = 10  # how long a question the bot asked waits for its answer


@dataclass(frozen=True)
class Group:
    """A group chat the bot posts notices to."""

    name: str
    platform: str
    chat_id: str
    buildings: tuple[str, ...] = ()  # the buildings whose residents are in it, when known


@dataclass(frozen=True)
class NoticeSettings:
    grace_minutes: int = 60  # an occurrence missed while down is posted this late at most
    quiet_start: time | None = None  # no posting from quiet_start …
    quiet_end: time | None = None  # … until quiet_end (may wrap past midnight)


@dataclass(frozen=True)
class PriceTier:
    label: str
    min_age: int
    max_age: int
    price: str


@dataclass(frozen=True)
class CanteenSettings:
    cutoffs: Mapping[str, time] = field(
        default_factory=lambda: {"lunch": time(9, 30), "dinner": time(15, 0)}
    )
    days_ahead: int = 7
    max_portions: int = 3
    capacity: Mapping[str, int] = field(default_factory=dict)  # meal → portions; absent: none
    weekly_menu: Mapping[tuple[int, str], str] = field(default_factory=dict)  # (weekday, meal)
    price_tiers: tuple[PriceTier, ...] = ()


@dataclass(frozen=True)
class EventSettings:
    day_before_at: time = time(20, 0)  # the reminder the evening before
    remind_before_minutes: int = 120  # and this long before the start
    max_guests: int = 5
    digest_minutes: int = 60  # the organiser's running count, at most this often


@dataclass(frozen=True)
class Service:
    """A service residents can order (点单) and who provides it."""

    name: str
    provider: str  # a person's name
    ack_hours: int = 24


@dataclass(frozen=True)
class NetworkSettings:
    duty_at: time = time(9, 0)  # Mondays: each 邻长's list
    services: tuple[Service, ...] = ()
    welfare_meal_days: int = 3  # an elder who usually eats with us and stops this many days
    welfare_meal_min: int = 3  # "usually": this many meals in the two weeks before


@dataclass(frozen=True)
class Settings:
    """The policy handlers follow, taken from the config at start."""

    community: str
    timezone: ZoneInfo
    bot_names: tuple[str, ...]
    platforms: tuple[str, ...]  # enabled platforms, in the order people are reached
    building_aliases: Mapping[str, str] = field(default_factory=dict)
    max_text: int = 2000
    reports: ReportSettings = field(default_factory=ReportSettings)
    groups: tuple[Group, ...] = ()
    notices: NoticeSettings = field(default_factory=NoticeSettings)
    canteen: CanteenSettings = field(default_factory=CanteenSettings)
    events: EventSettings = field(default_factory=EventSettings)
    network: NetworkSettings = field(default_factory=NetworkSettings)
    exports_dir: str = "exports"
    retention_days: int = 365  # closed reports keep their reporter's identity this long


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
