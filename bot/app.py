"""The app: wires storage, the features (their commands and due jobs) and the outbox sender."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.adapters.base import (
    Adapter,
    describe,
    incoming_from_json,
    incoming_json,
)
from bot.config import Config
from bot.ops import IntakeWatch, Metrics
from bot.seed import seed_directory, seed_notices
from bot.sender import Sender
from bot.voice import ModelUnavailable, Recogniser, VoiceDesk
from handlers import (
    admin,
    announcements,
    dead_letters,
    meals,
    mine,
    network,
    orders,
    people,
    privacy,
    reports,
    rsvp,
    stats,
    texts,
    tickets,
    voice,
    votes,
    web_login,
)
from handlers.chat import ChatKind, Incoming, strip_invisible
from handlers.clock import Clock, ManualClock
from handlers.context import Context, Settings, UserError
from handlers.feature import Due, Feature
from handlers.help import help_command
from handlers.registry import Match, Registry, dispatch, has_control_chars
from handlers.understanding import looks_like_report, sounds_like_hazard
from storage import Database
from storage.errors import is_storage_failure
from storage.people import Person
from storage.questions import PendingQuestion
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# every feature, once: its commands, continuations, due jobs and verbs come from here
FEATURES: tuple[Feature, ...] = (
    reports.FEATURE,
    tickets.FEATURE,
    people.FEATURE,
    announcements.FEATURE,
    meals.FEATURE,
    mine.FEATURE,
    rsvp.FEATURE,
    stats.FEATURE,
    admin.FEATURE,
    network.FEATURE,
    orders.FEATURE,
    votes.FEATURE,
    privacy.FEATURE,
    dead_letters.FEATURE,
    web_login.FEATURE,
)
DUE: tuple[Due, ...] = tuple(due for feature in FEATURES for due in feature.due)


# while a dead letter is replayed: its number, and the dead letters the replay itself made
_REPLAYING: ContextVar[tuple[int, list[tuple[int, str]]] | None] = ContextVar(
    "linli_replaying", default=None
)


def build_registry(settings: Settings) -> Registry:
    """Every command of every feature, in one list."""
    lexicon = reports.lexicon_of(settings.reports)
    aliases = settings.building_aliases
    registry = Registry(
        settings.community.bot_names,
        glued={"report": lambda rest: looks_like_report(rest, lexicon, aliases)},
    )
    for feature in FEATURES:
        registry.add(*feature.commands)
        for kind, cmd in feature.continuations.items():
            registry.add_continuation(kind, cmd)
    for feature in FEATURES:  # once every command is there: the verbs on each one's numbers
        for prefix, verbs in feature.verbs.items():
            registry.add_verbs(prefix, verbs)
    registry.add(help_command(registry))
    return registry


@dataclass
class _Outcome:
    """What a handled message leaves to do once its transaction is committed."""

    schedule_changed: bool = False
    replays: list[int] = field(default_factory=list)  # dead letters an admin asked to replay
    failed: tuple[int, str, BaseException] | None = None  # a handler's bug, set aside


class App:
    """One bot: handles Incoming messages, runs what is due, and delivers the outbox."""

    def __init__(
        self,
        cfg: Config,
        db: Database,
        clock: Clock,
        adapters: Mapping[str, Adapter],
        *,
        platforms: tuple[str, ...],
    ) -> None:
        self.cfg = cfg
        self.db = db
        self.clock = clock
        self.settings = cfg.settings(platforms=platforms)
        self.registry = build_registry(self.settings)
        self.metrics = Metrics()
        self.adapters = adapters
        # inbound progress, for the health check
        self.intake = IntakeWatch(clock, timedelta(seconds=cfg.ops.intake_stuck_seconds))
        self._refusals: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._served_groups = {(g.platform, g.chat_id) for g in cfg.groups}
        self.sender = Sender(
            db, clock, adapters, on_unreachable=self._unreachable, metrics=self.metrics
        )
        self.expected_wake: datetime | None = None  # for the scheduler-lag metric
        self._help = next(c for c in self.registry.commands if c.name == "help")
        # told after a message was handled, which may have changed what falls due when
        # (urgent: the notices changed); the runtime's due sweep looks again
        self.on_due_change: Callable[[bool], None] | None = None
        v = cfg.voice
        self.voice = VoiceDesk(
            self.handle,
            self._recogniser,
            adapters,
            commands=self._command_words(),
            aliases=self.settings.building_aliases,
            workers=v.workers,
            queue=v.queue,
            time_cap=v.time_cap_seconds,
            answered=self._voice_answered,
        )

    def _command_words(self) -> list[str]:
        """The Chinese words commands start with, the report's first (the domain prompt)."""
        first = [w for c in reports.COMMANDS for w in c.keywords]
        rest = [w for c in self.registry.commands for w in c.keywords if len(w) <= 4]
        return list(dict.fromkeys([*first, *rest]))

    def _recogniser(self) -> Recogniser:
        """The speech recogniser for voice messages (in the voice thread, on first use)."""
        from bot.voice import WhisperRecogniser, domain_prompt, model_directory

        v = self.cfg.voice
        if not v.enabled:
            raise ModelUnavailable("voice.enabled is false")
        prompt = domain_prompt(
            command=reports.COMMANDS[0].keywords[0],
            buildings=self.cfg.buildings,
            aliases=self.cfg.building_aliases,
            categories=[c.name for c in self.settings.reports.categories],
            extra=[*v.prompt_words, "帮助", "确认"],
        )
        log.info("voice: domain prompt %s", prompt)
        return WhisperRecogniser(
            model_directory(v.model_dir, v.model_cache),
            threads=v.threads,
            prompt=prompt,
            max_seconds=v.max_seconds,
            time_cap=v.time_cap_seconds,
        )

    async def _take_voice(self, msg: Incoming) -> bool:
        """A voice message: noted as received and kept until answered (a restart takes it up
        again), and handed to the voice desk, which comes back to handle() with its
        transcript; False if it was seen before."""
        async with self.db.unit_of_work() as uow:
            if not await uow.inbound.remember(
                platform=msg.platform, message_id=msg.message_id, at=self.clock.now()
            ):
                return False
            await uow.inbound.keep_voice(
                platform=msg.platform,
                message_id=msg.message_id,
                incoming=incoming_json(msg),
                at=self.clock.now(),
            )
        self.voice.submit(msg)
        return True

    async def _voice_answered(self, msg: Incoming) -> None:
        async with self.db.unit_of_work() as uow:
            await uow.inbound.voice_answered(platform=msg.platform, message_id=msg.message_id)

    async def resume_voice(self) -> int:
        """Take up the voice messages a stopped process had received and not answered (once
        the adapters that fetch their clips are running); returns how many."""
        async with self.db.unit_of_work() as uow:
            waiting = await uow.inbound.voice_waiting()
        for raw in waiting:
            self.voice.submit(incoming_from_json(raw))
        if waiting:
            log.info("voice: %d messages received before a restart taken up again", len(waiting))
        return len(waiting)

    def menu(self) -> list[tuple[str, str, str]]:
        """(slash name, Chinese, English) for each command that has a slash name."""
        return [
            (c.slash[0], c.summary or c.usage, c.english or c.summary or c.name)
            for c in self.registry.commands
            if c.slash and (c.summary or c.english)
        ]

    async def start(self) -> None:
        """Migrate the schema and load the directory from the config."""
        await self.db.migrate()
        async with self.db.exclusive("seed"):  # workers starting together seed one at a time
            await seed_directory(self.db, self.cfg, at=self.clock.now())
            await seed_notices(self.db, self.cfg, at=self.clock.now())
        await self.sender.recover()

    def _refusal(self, text: str) -> str | None:
        if len(text) > self.settings.max_text:
            return texts.TOO_LONG.format(limit=self.settings.max_text)
        if has_control_chars(text):
            return texts.CONTROL_CHARS
        return None

    def refusal(self, incoming: Incoming) -> str | None:
        """Why a button press just handled was refused, for the platform to show as a toast
        (asked once, right after handling it)."""
        return self._refusals.pop((incoming.platform, incoming.message_id), None)

    async def dead_letter(
        self,
        *,
        platform: str,
        stage: str,
        ref: str,
        reason: str,
        raw: str,
        exc: BaseException | None = None,
    ) -> int:
        """Set an inbound update aside: stored raw for an admin to list and replay, logged
        once with its number, counted. A database that refuses raises (tried again)."""
        async with self.db.unit_of_work() as uow:
            number = await self._add_dead_letter(
                uow, platform=platform, stage=stage, ref=ref, reason=reason, raw=raw
            )
        self._set_aside(number, platform=platform, stage=stage, ref=ref, reason=reason, exc=exc)
        return number

    async def _add_dead_letter(
        self, uow: UnitOfWork, *, platform: str, stage: str, ref: str, reason: str, raw: str
    ) -> int:
        replaying = _REPLAYING.get()
        return await uow.dead_letters.add(
            platform=platform,
            stage=stage,
            ref=ref,
            reason=reason,
            raw=raw,
            at=self.clock.now(),
            replay_of=replaying[0] if replaying else None,
        )

    def _set_aside(
        self,
        number: int,
        *,
        platform: str,
        stage: str,
        ref: str,
        reason: str,
        exc: BaseException | None = None,
    ) -> None:
        """Once the dead letter is committed: logged once (with the traceback), counted,
        told to a replay."""
        replaying = _REPLAYING.get()
        if replaying is not None:
            replaying[1].append((number, reason))
        self.metrics.dead_letters.labels(platform, stage).inc()
        log.error(
            "%s %s set aside as dead letter D%d (%s): %s",
            platform,
            ref,
            number,
            stage,
            reason,
            exc_info=exc,
        )

    async def handle(self, msg: Incoming) -> bool:
        """Handle one message in one transaction; False if it was chatter, seen before, from
        a chat the bot does not serve, or set aside. Raises only when the database refuses
        (the caller tries again); any other failure makes the message a dead letter."""
        self.intake.begin(msg.platform, msg.message_id)
        try:
            handled = await self._handle(msg)
            self.sender.wake()  # (a chat not served may have its one line to send)
        except Exception as exc:
            if is_storage_failure(exc):
                raise
            await self.dead_letter(
                exc=exc,
                platform=msg.platform,
                stage="handler",
                ref=str(msg.message_id),
                reason=describe(exc),
                raw=incoming_json(msg),
            )
            handled = False
        self.intake.done(msg.platform, msg.message_id)
        return handled

    async def handle_batch(self, msgs: Sequence[Incoming]) -> list[bool]:
        """Handle the messages of one platform batch (a getUpdates answer) as handle() does,
        in one transaction, each in a savepoint of its own: one that fails is set aside and
        the others kept. Raises only when the database refuses: then what was not yet
        committed is not kept, and the caller hands the whole batch over again (what was
        committed — on SQLite a batch commits early to let the sender in — is seen before)."""
        async with self.db.batch():
            handled = [await self.handle(msg) for msg in msgs]
        self.sender.wake()  # what they queued is visible to the sender only now
        return handled

    def _serves(self, msg: Incoming, person: Person | None) -> bool:
        """Whether the bot works in this chat: a configured group (the console's, WeChat's
        `rooms` filtered by the adapter), or a private chat with someone it knows."""
        if self.cfg.chats.serve == "any" or msg.platform == "console":
            return True
        if msg.chat_kind is ChatKind.PRIVATE:
            return person is not None
        if msg.platform == "wechat" and self.cfg.wechat.rooms:
            return True  # the adapter lets through only the rooms listed
        return (msg.platform, msg.chat_id) in self._served_groups

    async def _stranger(self, uow: UnitOfWork, msg: Incoming) -> None:
        """A message from a chat the bot does not serve: nothing is routed; the chat gets one
        polite line, and for a group the admins are told, each once."""
        self.metrics.strangers.labels(msg.platform).inc()
        group = msg.chat_kind is ChatKind.GROUP
        first = await uow.dead_letters.first_from_stranger(
            platform=msg.platform, chat_id=msg.chat_id, is_group=group, at=self.clock.now()
        )
        if not first:
            return
        log.warning(
            "%s %s chat %s is not served; told once, nothing routed",
            msg.platform,
            msg.chat_kind.value,
            msg.chat_id,
        )
        await uow.outbox.enqueue(
            platform=msg.platform,
            chat_id=msg.chat_id,
            is_group=group,
            text=texts.STRANGER_GROUP if group else texts.STRANGER_PRIVATE,
            buttons=[],
            photo=None,
            mention=None,
            person_id=None,
            at=self.clock.now(),
        )
        if group:
            ctx = Context(uow=uow, clock=self.clock, settings=self.settings, incoming=msg)
            text = texts.STRANGER_GROUP_ADMIN.format(
                platform=msg.platform, chat_id=msg.chat_id, sender=msg.sender_name[:50]
            )
            for admin in await uow.people.with_role(role="admin"):
                await ctx.tell(admin, text)

    async def _voice_answer(
        self,
        uow: UnitOfWork,
        msg: Incoming,
        person: Person,
        asked: PendingQuestion,
        text: str,
        group: bool,
    ) -> tuple[Incoming, Match] | None:
        """The answer to a voice message read back — 是, 取消, or a typed correction — as
        the message to handle (exactly as if typed, the clip kept with it) and its command;
        None when, in a group, it is just talk."""
        said = voice.answer(asked, text)
        typed = self.registry.match(said.text, group=group) if said.text else None
        if said.text is not None and not said.confirmed and typed is None and group:
            return None
        await uow.questions.forget(platform=msg.platform, chat_id=msg.chat_id, person_id=person.id)
        if said.text is None:
            return msg, Match(voice.REFUSED_COMMAND, "", "")
        heard = dataclasses.replace(
            msg, text=said.text, action=None, voice=asked.photo, voice_state=voice.CONFIRMED
        )
        return heard, typed or Match(voice.NO_COMMAND, "", said.text)

    async def _handle(self, msg: Incoming) -> bool:
        msg = _visible(msg)
        if msg.voice is not None and msg.voice_state is None:
            return await self._take_voice(msg)
        read = self._read(msg)
        if read is None:
            return False
        msg, match = read
        async with self.db.unit_of_work() as uow:
            person = await uow.people.by_account(platform=msg.platform, native_id=msg.sender_id)
            if not self._serves(msg, person):
                await self._stranger(uow, msg)
                return False
            understood = await self._understand(uow, msg, person, match)
            if understood is None:
                return False  # the bot does not chatter in groups
            msg, found = understood
            person = await self._admit(uow, msg, person)
            if person is None:
                return False
            outcome = await self._run(uow, msg, person, found)
        await self._after(msg, person, outcome)
        return True

    def _read(self, msg: Incoming) -> tuple[Incoming, Match | None] | None:
        """The command the text invokes as it stands; a transcribed voice message is read back
        first (in a group only a command is); None when it is dropped."""
        text = msg.action or msg.text
        group = msg.chat_kind is ChatKind.GROUP
        if msg.voice is None:
            return msg, self.registry.match(text, group=group)
        if group and (
            msg.voice_state != voice.HEARD or self.registry.match(text, group=True) is None
        ):
            return None
        heard = dataclasses.replace(msg, message_id=msg.message_id + "#heard")
        return heard, Match(voice.HEARD_COMMAND, "", text)

    async def _understand(
        self, uow: UnitOfWork, msg: Incoming, person: Person | None, match: Match | None
    ) -> tuple[Incoming, Match] | None:
        """What the message means given what the bot asked this person here: the answer to a
        voice read-back or to a question, a hazard told without 上报, or (in private) a plea
        for help; None when it is talk in a group."""
        text = msg.action or msg.text
        group = msg.chat_kind is ChatKind.GROUP
        asked = None
        if person is not None and msg.voice is None:
            asked = await uow.questions.pending(
                platform=msg.platform,
                chat_id=msg.chat_id,
                person_id=person.id,
                now=self.clock.now(),
            )
        if asked is not None and asked.kind == voice.CONFIRM and person is not None:
            answered = await self._voice_answer(uow, msg, person, asked, text, group)
            if answered is not None:
                return answered
        elif match is None and person is not None:
            # no command: perhaps the answer to a question the bot asked this person here
            cmd = self.registry.continuation(asked.kind) if asked else None
            if cmd is not None:  # the answer as understood: 三號樓 is 三号楼
                match = Match(cmd, "", self.registry.strip_mention(text)[0])
        if match is not None:
            return msg, match
        plain, mentioned = self.registry.strip_mention(text)
        if (not group or mentioned or msg.mentioned) and sounds_like_hazard(
            plain, reports.lexicon_of(self.settings.reports)
        ):
            # a hazard told to the bot without 上报: asked about, never filed on a guess
            return msg, Match(reports.OFFER, "", plain)
        return None if group else (msg, Match(self._help, "帮助", ""))

    async def _admit(self, uow: UnitOfWork, msg: Incoming, person: Person | None) -> Person | None:
        """Remember the message as handled (None: it was, before) and know its sender."""
        if not await uow.inbound.remember(
            platform=msg.platform, message_id=msg.message_id, at=self.clock.now()
        ):
            log.info("ignoring redelivered %s message %s", msg.platform, msg.message_id)
            return None
        if person is not None and msg.chat_kind is ChatKind.PRIVATE:
            # writing to the bot privately is what lets a platform deliver to them again
            await uow.people.mark_reachable(platform=msg.platform, native_id=msg.sender_id)
            return person
        return person or await uow.people.register(
            platform=msg.platform,
            native_id=msg.sender_id,
            display_name=msg.sender_name[:100] or msg.sender_id,
            at=self.clock.now(),
        )

    async def _run(self, uow: UnitOfWork, msg: Incoming, person: Person, match: Match) -> _Outcome:
        """Run the command in a savepoint: a refusal is said to the sender, a bug is
        apologised for and kept as a dead letter; only the database refusing raises."""
        ctx = Context(
            uow=uow, clock=self.clock, settings=self.settings, incoming=msg, person=person
        )
        name = match.command.name if match.command else "?"
        savepoint = await uow.conn.begin_nested()
        try:
            refusal = self._refusal(msg.action or msg.text)
            if refusal:
                raise UserError(refusal)
            started = time.perf_counter()
            await dispatch(match, ctx)
            await savepoint.commit()
            self.metrics.handler_seconds.observe(time.perf_counter() - started)
            self.metrics.handled.labels(
                msg.platform, match.command.name if match.command else "unknown"
            ).inc()
            log.info("%s message %s: %s", msg.platform, msg.message_id, name)
            return _Outcome(schedule_changed=ctx.schedule_changed, replays=ctx.replays)
        except UserError as exc:
            await savepoint.rollback()
            toasts = getattr(self.adapters.get(msg.platform), "toasts", False)
            if msg.action is not None and toasts:
                self._refuse_press(msg, exc.reason)  # shown where it was pressed, as a toast
            else:
                await ctx.reply(exc.reason)
            return _Outcome()
        except Exception as exc:
            if is_storage_failure(exc):
                raise  # the database refuses writes: nothing is kept, the platform retries
            await savepoint.rollback()
            await ctx.reply(texts.APOLOGY)
            reason = f"{describe(exc)} (in {name})"  # kept, to replay once the bug is fixed
            number = await self._add_dead_letter(
                uow,
                platform=msg.platform,
                stage="handler",
                ref=msg.message_id,
                reason=reason,
                raw=incoming_json(msg),
            )
            return _Outcome(failed=(number, reason, exc))

    async def _after(self, msg: Incoming, person: Person, outcome: _Outcome) -> None:
        """Once committed: deliver, log a bug set aside, look again at what is due, replay."""
        self.sender.wake()
        if outcome.failed is not None:
            number, reason, error = outcome.failed
            self._set_aside(
                number,
                platform=msg.platform,
                stage="handler",
                ref=msg.message_id,
                reason=reason,
                exc=error,
            )
        if self.on_due_change is not None:
            self.on_due_change(outcome.schedule_changed)
        for number in outcome.replays:
            try:
                await self._replay(number, admin=person)
            except Exception:  # the database refusing even the dead letter: said in the log
                log.exception("replaying D%d failed", number)

    def _refuse_press(self, msg: Incoming, reason: str) -> None:
        self._refusals[(msg.platform, msg.message_id)] = reason
        while len(self._refusals) > 1000:  # a platform that never asks: forget the oldest
            self._refusals.popitem(last=False)

    async def _replay(self, number: int, *, admin: Person) -> None:
        """Hand a dead letter to the bot again (after a fix or an upgrade) and tell the admin
        how it went; failing again, it is set aside again under a new number."""
        label = f"D{number}"
        async with self.db.unit_of_work() as uow:
            found = await uow.dead_letters.get(number)
        assert found is not None  # claimed in the transaction just committed
        failures: list[tuple[int, str]] = []
        token = _REPLAYING.set((number, failures))
        outcome = texts.REPLAY_DONE.format(label=label)
        try:
            if found.stage == "handler":
                msg = incoming_from_json(found.raw)
                await self.handle(dataclasses.replace(msg, message_id=f"{msg.message_id}#{label}"))
            else:
                replay = getattr(self.adapters.get(found.platform), "replay", None)
                if replay is None:
                    outcome = texts.REPLAY_NO_ADAPTER.format(label=label, platform=found.platform)
                else:
                    await replay(found.raw)
        except Exception as exc:  # the database refusing, or the adapter's parse failing
            await self.dead_letter(
                exc=exc,
                platform=found.platform,
                stage=found.stage,
                ref=found.ref,
                reason=describe(exc),
                raw=found.raw,
            )
        finally:
            _REPLAYING.reset(token)
        if failures:
            new, reason = failures[-1]
            outcome = texts.REPLAY_FAILED_AGAIN.format(label=label, new=f"D{new}", reason=reason)
        async with self.db.unit_of_work() as uow:
            ctx = Context(uow=uow, clock=self.clock, settings=self.settings)
            await ctx.tell(admin, outcome)
        self.sender.wake()

    async def _unreachable(
        self, platform: str, chat_id: str, person_id: int | None, reason: str
    ) -> None:
        if person_id is None:
            log.warning("%s group %s refuses the bot: %s", platform, chat_id, reason)
            return
        async with self.db.unit_of_work() as uow:
            ctx = Context(uow=uow, clock=self.clock, settings=self.settings)
            await people.record_unreachable(
                ctx, platform=platform, native_id=chat_id, reason=reason
            )
        self.sender.wake()

    async def alert_admins(self, text: str, *, avoid: str | None = None) -> None:
        """Tell every admin privately, preferring platforms other than `avoid`."""
        async with self.db.unit_of_work() as uow:
            ctx = Context(uow=uow, clock=self.clock, settings=self.settings)
            for admin in await uow.people.with_role(role="admin"):
                await ctx.tell(admin, text, avoid=avoid)
        self.sender.wake()

    async def platform_back(self, platform: str) -> None:
        """A platform's link is back: what waited for it goes out now, not at its backoff."""
        async with self.db.unit_of_work() as uow:
            n = await uow.outbox.make_due(platform=platform, now=self.clock.now())
        if n:
            log.info("%s is back: %d queued messages released", platform, n)
        self.sender.wake()

    async def next_due_at(self) -> datetime | None:
        """The next moment after now at which something falls due."""
        async with self.db.unit_of_work() as uow:
            ctx = Context(uow=uow, clock=self.clock, settings=self.settings)
            found = [t for due in DUE if (t := await due.next_at(ctx)) is not None]
        self.expected_wake = min(found) if found else None
        return self.expected_wake

    async def advance(self, clock: ManualClock, delta: timedelta) -> None:
        """Move a hand-moved clock forward, stopping at each moment something falls due —
        as the real scheduler would wake — running it and delivering what it sends."""
        target = clock.now() + delta
        while (nxt := await self.next_due_at()) is not None and nxt <= target:
            clock.advance(nxt - clock.now())
            await self.run_due()
            await self.sender.drain()
        clock.advance(target - clock.now())
        await self.run_due()

    async def run_due(self) -> int:
        """Run every job whose time has come (escalations, …); return how much it did."""
        now = self.clock.now()
        if self.expected_wake is not None and now >= self.expected_wake:
            self.metrics.scheduler_lag.set((now - self.expected_wake).total_seconds())
            self.expected_wake = None
        done = 0
        failed: Exception | None = None
        # one transaction, a savepoint a job: a sweep takes the file once, not once a job (a
        # burst of messages gave way to each of them); a job that fails is rolled back alone,
        # the others kept, and its failure raised once they are committed
        async with self.db.batch():
            for due in DUE:
                try:
                    async with self.db.unit_of_work() as uow:
                        ctx = Context(uow=uow, clock=self.clock, settings=self.settings)
                        n = await due.run(ctx)
                except Exception as exc:
                    if is_storage_failure(exc):
                        raise  # the database refuses: nothing of the sweep is kept
                    failed = failed or exc
                    continue
                if n:
                    self.metrics.due_work.labels(due.name).inc(n)
                done += n
        if done:
            self.sender.wake()
        if failed is not None:
            raise failed
        return done


def _visible(msg: Incoming) -> Incoming:
    """Before anything looks at them: invisible characters could reorder or hide text."""
    return dataclasses.replace(
        msg,
        text=strip_invisible(msg.text),
        action=strip_invisible(msg.action) if msg.action is not None else None,
        sender_name=strip_invisible(msg.sender_name),
    )
