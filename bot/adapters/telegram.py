"""Telegram through python-telegram-bot 22: polling or webhook, buttons, photos, pacing."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
    User,
)
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBUserWarning

from bot.adapters.base import (
    DeliveryFailed,
    Handle,
    Intake,
    Outbound,
    describe,
    handle_until_done,
    split_text,
)
from bot.adapters.telegram_request import AiohttpRequest, MaybeSent
from bot.backoff import INTAKE_CAP, Backoff
from bot.config import TelegramConfig
from bot.pacing import Limits, Pacer
from handlers.chat import ChatKind, Incoming, strip_invisible
from storage.errors import is_storage_failure

# PTB asks for Bot.send_message instead: sendMessage goes through do_api_request on purpose
# (TelegramAdapter._send_text). A filter, not catch_warnings around the call: that swaps the
# process's filters across an await, and concurrent sends would restore each other's.
warnings.filterwarnings(
    "ignore", message=r"Please use 'Bot\.sendMessage' instead", category=PTBUserWarning
)
log = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_TOAST = 200  # answerCallbackQuery's text
ALLOWED_UPDATES = ["message", "callback_query"]
# prefixed to a button's callback data when it is one of a question's answers (Button.choice):
# pressed, it takes every answer away with it; stripped before the press is handed on
CHOICE = "\u2063"

# the messages of one getUpdates answer, handled in one transaction (App.handle_batch)
HandleBatch = Callable[[Sequence[Incoming]], Awaitable[list[bool]]]


@dataclass(frozen=True)
class MenuEntry:
    """One line of the commands menu: /name, Chinese and English descriptions."""

    name: str
    zh: str
    en: str


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def failure(exc: TelegramError) -> DeliveryFailed:
    """What a Bot API error means for the outbox row."""
    if isinstance(exc, RetryAfter):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return DeliveryFailed(str(exc), retry_after=_seconds(exc.retry_after))
    if isinstance(exc, Forbidden):
        return DeliveryFailed(f"Telegram 403: {exc.message}", unreachable=True)
    if isinstance(exc, BadRequest):
        unreachable = "chat not found" in exc.message.lower()
        return DeliveryFailed(
            f"Telegram 400: {exc.message}", permanent=True, unreachable=unreachable
        )
    # network errors, time-outs, 5xx: retried; a request sent whose answer never came may
    # still land, so the Sender waits before sending it again
    maybe_sent = isinstance(exc.__cause__, MaybeSent)
    return DeliveryFailed(f"Telegram: {exc}", maybe_sent=maybe_sent)


def _utf16(text: str) -> int:
    """A text's length as Telegram counts entity offsets: in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def mentioned_text(message: Outbound) -> tuple[str, list[MessageEntity]]:
    """The text with each answer's @-mention in front of it, and a text mention (which
    notifies the person, username or not) for each whose Telegram user id is known."""
    text, entities = "", []
    for part in message.parts:
        if text:
            text += "\n\n"
        if part.mention:
            tag = f"@{part.mention}"
            if part.mention_id and part.mention_id.isdigit():
                user = User(id=int(part.mention_id), first_name=part.mention, is_bot=False)
                entities.append(
                    MessageEntity(MessageEntity.TEXT_MENTION, _utf16(text), _utf16(tag), user=user)
                )
            text += tag + " "
        text += part.text
    return text, entities


def _entity_json(entity: MessageEntity) -> dict[str, Any]:
    """A text mention as the Bot API takes it (what PTB's to_dict gives, built directly)."""
    found: dict[str, Any] = {"type": entity.type, "offset": entity.offset, "length": entity.length}
    if entity.user is not None:
        found["user"] = {
            "id": entity.user.id,
            "is_bot": entity.user.is_bot,
            "first_name": entity.user.first_name,
        }
    return found


def _offers(message: Message, action: str) -> bool:
    """Whether the message carries a button with this action (a forged press does not)."""
    markup = message.reply_markup
    if markup is None:
        return False
    return any(b.callback_data == action for row in markup.inline_keyboard for b in row)


@dataclass(frozen=True)
class _Plain:
    """What the bot reads of a message update."""

    chat_id: int
    chat_type: str
    user_id: int
    name: str
    message_id: int
    at: datetime
    text: str
    photo: str | None = None
    voice: str | None = None


# the fields of a plain text message (a resident typing in a group or in private) that the
# fast path knows; an update with anything else is parsed by python-telegram-bot
_PLAIN_UPDATE = frozenset({"update_id", "message"})
_PLAIN_MESSAGE = frozenset({"message_id", "from", "chat", "date", "text", "entities"})
_PLAIN_USER = frozenset(
    {"id", "is_bot", "first_name", "last_name", "username", "language_code", "is_premium"}
)
_PLAIN_CHAT = frozenset({"id", "type", "title", "username", "first_name", "last_name", "is_forum"})


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _plain_text(raw: dict[str, Any]) -> _Plain | Literal[False] | None:
    """A plain text message read straight from the update's JSON, as python-telegram-bot
    would read it (tests/test_telegram.py holds the two to the same answer): a burst of
    reports is mostly these, and PTB's parsing of each was a tenth of the bot's CPU.
    None for a bot's message (nothing for this one); False for anything else, which goes
    through PTB."""
    msg = raw.get("message")
    if raw.keys() - _PLAIN_UPDATE or not isinstance(msg, dict) or msg.keys() - _PLAIN_MESSAGE:
        return False
    user, chat, text = msg.get("from"), msg.get("chat"), msg.get("text")
    if not (
        isinstance(user, dict)
        and isinstance(chat, dict)
        and isinstance(text, str)
        and _is_int(msg.get("message_id"))
        and _is_int(msg.get("date"))
        and not user.keys() - _PLAIN_USER
        and not chat.keys() - _PLAIN_CHAT
        and _is_int(user.get("id"))
        and isinstance(user.get("is_bot"), bool)
        and isinstance(user.get("first_name"), str)
        and isinstance(user.get("last_name", ""), str)
        and isinstance(user.get("username", ""), str)
        and _is_int(chat.get("id"))
        and isinstance(chat.get("type"), str)
        and isinstance(msg.get("entities", []), list)
    ):
        return False
    if user["is_bot"]:
        return None
    last = user.get("last_name")
    name = f"{user['first_name']} {last}" if last else user["first_name"]
    return _Plain(
        chat_id=chat["id"],
        chat_type=chat["type"],
        user_id=user["id"],
        name=name or user.get("username") or str(user["id"]),
        message_id=msg["message_id"],
        at=datetime.fromtimestamp(msg["date"], tz=UTC),
        text=text,
    )


class TelegramAdapter:
    """Translates updates to Incoming and outbox rows to Bot API calls."""

    platform = "telegram"
    max_text = MAX_TEXT

    def __init__(
        self,
        cfg: TelegramConfig,
        handle: Handle,
        *,
        menu: Sequence[MenuEntry] = (),
        limits: Limits | None = None,
        poll_timeout: float = 10.0,
        retry_delay: float = 0.5,
        on_online: Callable[[], Awaitable[None]] | None = None,
        intake: Intake | None = None,
        handle_batch: HandleBatch | None = None,
    ) -> None:
        if not cfg.token:
            raise ValueError("telegram.token is required")
        self.cfg = cfg
        self.pacer: Pacer | None = Pacer(
            limits
            or Limits(
                overall=cfg.overall_per_second,
                private=cfg.private_per_3s,
                group=cfg.group_per_minute,
            )
        )
        self._handle = handle
        self._handle_batch = handle_batch  # without it, updates are handled one at a time
        # where updates that cannot be parsed or handled are set aside; refusals of presses
        self._intake = intake
        self._idless: set[str] = set()  # updates without an id already set aside
        self._menu = tuple(menu)
        self._poll_timeout = poll_timeout
        self._retry_delay = retry_delay
        self._on_online = on_online  # told when the Bot API answers again after failing
        self._poller: asyncio.Task[None] | None = None
        self._offset: int | None = None  # the first update not yet stored
        self._polling_ok = False
        self.username = ""
        timeout = cfg.timeout_seconds

        def request(pool: int) -> AiohttpRequest:
            return AiohttpRequest(pool=pool, timeout=timeout)

        # the Bot alone, no Application: updates are received here (polling or webhook),
        # not by PTB's Updater (it acknowledges an update before it is handled), and
        # handled by the app, not by PTB's handlers
        api, files = (
            (cfg.base_url, cfg.base_url + "file/")
            if cfg.base_url
            else ("https://api.telegram.org/bot", "https://api.telegram.org/file/bot")
        )
        self.bot = Bot(
            cfg.token,
            base_url=api,
            base_file_url=files,
            request=request(256),  # the pool sizes PTB's Application gives the Bot
            get_updates_request=request(1),
        )
        self._webhook: web.AppRunner | None = None

    # --- life cycle -----------------------------------------------------------------------

    @property
    def toasts(self) -> bool:
        """A refused button press is answered where it was pressed (a toast), not in chat."""
        return self._intake is not None

    @property
    def healthy(self) -> bool:
        """Receiving updates."""
        if self.cfg.mode == "polling":
            return self._poller is not None and not self._poller.done() and self._polling_ok
        return self._webhook is not None

    async def __aenter__(self) -> TelegramAdapter:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Connect, publish the commands menu, and start receiving updates."""
        await self.bot.initialize()
        self.username = self.bot.username or ""
        await self._publish_menu()
        if self.cfg.mode == "webhook":
            await self._start_webhook()
        else:
            await self.bot.delete_webhook()
            self._polling_ok = True
            self._poller = asyncio.create_task(self._poll(), name="telegram-poll")
        log.info("telegram: @%s receiving updates by %s", self.username, self.cfg.mode)

    async def stop(self) -> None:
        """Stop receiving and disconnect."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
            await self._confirm()
        if self._webhook is not None:
            await self._webhook.cleanup()
            self._webhook = None
        await self.bot.shutdown()

    # --- polling: an update is confirmed to Telegram only once it is stored -----------------

    async def _poll(self) -> None:
        """Long-poll for updates and store each before asking for the next.

        Telegram forgets an update once getUpdates is called with a higher offset. PTB's own
        Updater asks for the next batch while the previous one is still being handled, so a
        crash could lose messages Telegram had already forgotten; here the offset moves past
        an update only after the bot has committed it (or seen it before)."""
        backoff, failures = Backoff(self._retry_delay, INTAKE_CAP), 0
        while True:
            try:
                updates = await self._get_updates()
            except Exception as exc:  # network, 5xx, time-out, a reply that is not a list
                self._polling_ok, failures = False, failures + 1
                delay = backoff.delay(failures)
                log.warning("telegram: getUpdates failed (%s); again in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                continue
            if not self._polling_ok and self._on_online is not None:
                try:
                    await self._on_online()  # the Bot API is back: release what waited for it
                except Exception:
                    log.exception("telegram: could not release the queued messages")
            self._polling_ok, failures = True, 0
            await self._take_all(updates)

    async def _get_updates(self) -> list[Any]:
        """One long poll, the updates as JSON: each is parsed on its own (by _take), so one
        that python-telegram-bot cannot parse does not cost the whole batch."""
        kwargs: dict[str, Any] = {
            "timeout": int(self._poll_timeout),
            "allowed_updates": ALLOWED_UPDATES,
        }
        if self._offset is not None:
            kwargs["offset"] = self._offset
        result = await self._raw_get_updates(kwargs, self.cfg.timeout_seconds + self._poll_timeout)
        if not isinstance(result, list):
            raise TypeError(f"getUpdates answered {type(result).__name__}, not a list")
        return result

    async def _raw_get_updates(self, kwargs: dict[str, Any], read_timeout: float) -> Any:
        with warnings.catch_warnings():  # "use Bot.get_updates": it parses the batch whole
            warnings.simplefilter("ignore", PTBUserWarning)
            return await self.bot.do_api_request(
                "getUpdates", api_kwargs=kwargs, read_timeout=read_timeout
            )

    async def _take(self, raw: Any) -> None:
        """Parse, store and confirm one update; one that cannot be parsed or turned into a
        message is set aside as a dead letter and the offset moves past it all the same."""
        update_id = raw.get("update_id") if isinstance(raw, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            key = json.dumps(raw, ensure_ascii=False, sort_keys=True, default=repr)
            if key not in self._idless:  # sent again with every batch: set aside once
                self._idless.add(key)
                await self._set_aside("parse", "update without update_id", raw)
            return
        ref = f"update {update_id}"
        try:
            update = Update.de_json(raw, self.bot)
        except Exception as exc:
            await self._set_aside("parse", ref, raw, exc)
        else:
            try:
                await self._process(update)
            except Exception as exc:  # the database's failures were waited out in _store
                await self._set_aside("adapter", ref, raw, exc)
        self._offset = max(self._offset or 0, update_id + 1)

    async def _take_all(self, updates: list[Any]) -> None:
        """The updates of one getUpdates answer, in order. With a batch handler, the plain
        messages among them are stored in one transaction (each in a savepoint: one that
        fails is set aside, the others are kept), and the offset moves past them once it is
        committed; button presses (answered after they are stored), voice messages (handed
        to the voice desk as they are stored) and updates that do not parse are taken one
        at a time, as without."""
        if self._handle_batch is None:
            for raw in updates:
                await self._take(raw)
            return
        batch: list[tuple[int, Incoming | None]] = []
        for raw in updates:
            taken = self._plain_message(raw)
            if taken is not None:
                batch.append(taken)
                continue
            await self._store_batch(batch)
            batch = []
            await self._take(raw)
        await self._store_batch(batch)

    def _plain_message(self, raw: Any) -> tuple[int, Incoming | None] | None:
        """(update id, its message or None when it is nothing for the bot) for an update
        that can join a batch; None for one to take on its own."""
        update_id = raw.get("update_id") if isinstance(raw, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            return None
        plain = _plain_text(raw)
        if plain is not False:
            return update_id, self._incoming(plain)
        try:
            update = Update.de_json(raw, self.bot)
            if update.callback_query is not None:
                return None
            incoming = self.to_incoming(update)
        except Exception:  # set aside by _take, with the reason
            return None
        if incoming is not None and incoming.voice is not None:
            return None
        return update_id, incoming

    async def _store_batch(self, batch: list[tuple[int, Incoming | None]]) -> None:
        """Hand plain messages to the bot in one transaction, then confirm them. While the
        database refuses, the batch waits and is handed over again whole (what of it was
        committed before is known as seen, and not handled twice); if it fails otherwise as
        a whole, its messages are taken one at a time."""
        if not batch:
            return
        messages = [m for _, m in batch if m is not None]
        backoff, attempt = Backoff(self._retry_delay, INTAKE_CAP), 0
        assert self._handle_batch is not None
        while messages:
            attempt += 1
            try:
                await self._handle_batch(messages)
                break
            except Exception as exc:
                if not is_storage_failure(exc):
                    log.exception("telegram: a batch failed whole; taking it one at a time")
                    for incoming in messages:
                        await self._store(incoming, retry=True)
                    break
                delay = backoff.delay(attempt)
                log.exception(
                    "telegram: %d messages could not be stored (try %d); trying again in %.1f s",
                    len(messages),
                    attempt,
                    delay,
                )
            await asyncio.sleep(delay)
        self._offset = max(self._offset or 0, *(update_id + 1 for update_id, _ in batch))

    async def _set_aside(
        self, stage: str, ref: str, raw: Any, exc: BaseException | None = None
    ) -> None:
        """Hand an update to the dead letters; while the database refuses, wait (as for any
        update), so that it is not confirmed to Telegram before it is kept."""
        reason = describe(exc) if exc is not None else "no update_id"
        if self._intake is None:
            log.error("telegram: %s dropped (%s): %s", ref, stage, reason, exc_info=exc)
            return
        text = json.dumps(raw, ensure_ascii=False, default=repr)
        backoff, failures = Backoff(self._retry_delay, INTAKE_CAP), 0
        while True:
            try:
                await self._intake.dead_letter(
                    platform=self.platform, stage=stage, ref=ref, reason=reason, raw=text, exc=exc
                )
                return
            except Exception as failure:
                if not is_storage_failure(failure):
                    log.exception("telegram: %s could not be set aside; dropped", ref)
                    return
                log.warning("telegram: %s could not be set aside yet (%s)", ref, describe(failure))
            failures += 1
            await asyncio.sleep(backoff.delay(failures))

    async def replay(self, raw: str) -> None:
        """Handle a dead letter's update again (after an upgrade or a fix); raises when it
        still cannot be parsed or handled."""
        update = Update.de_json(json.loads(raw), self.bot)
        await self._process(update, retry=False)

    async def _confirm(self) -> None:
        """Tell Telegram which updates are stored, so a restart is not sent them again
        (it would only find them in the inbound table)."""
        if self._offset is None:
            return
        try:  # not parsed: the update after the last one may be one PTB cannot read
            await self._raw_get_updates(
                {"offset": self._offset, "limit": 1, "timeout": 0}, self.cfg.timeout_seconds
            )
        except TelegramError as exc:
            log.info("telegram: could not confirm the last updates: %s", exc)

    async def _process(self, update: Update, *, retry: bool = True) -> None:
        """Store one update, then do its extras. With `retry`, wait while the database
        refuses; without, let the failure through (the webhook answers 500)."""
        if update.callback_query is not None:
            await self._on_button(update, retry=retry)
            return
        incoming = self.to_incoming(update)
        if incoming is not None:
            await self._store(incoming, retry=retry)

    async def _store(self, incoming: Incoming, *, retry: bool) -> bool:
        """Hand a message to the bot; whether it was handled (not chatter, not seen before,
        not set aside)."""
        if retry:
            return await handle_until_done(
                self._handle,
                incoming,
                first_delay=self._retry_delay,
                dead_letter=self._intake.dead_letter if self._intake else None,
            )
        return await self._handle(incoming)

    # --- webhook: Telegram is answered 200 only once the update is stored --------------------

    async def _start_webhook(self) -> None:
        """Listen for Telegram's POSTs and register the public URL with it."""
        app = web.Application()
        app.router.add_post("/" + self.cfg.webhook_path.lstrip("/"), self._on_webhook)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, self.cfg.webhook_listen, self.cfg.webhook_port).start()
        self._webhook = runner
        await self.bot.set_webhook(
            url=self.cfg.webhook_url or "",
            secret_token=self.cfg.webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
        )

    async def _on_webhook(self, request: web.Request) -> web.Response:
        """One update from Telegram. Anything but 200 makes Telegram deliver it again later,
        so an update the database cannot take now is not lost."""
        secret = self.cfg.webhook_secret
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if secret and not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=403)
        try:
            raw = await request.json()
        except ValueError as exc:
            log.warning("telegram: a webhook request that is not JSON: %s", exc)
            return web.Response(status=400)
        ref = f"update {raw.get('update_id') if isinstance(raw, dict) else '?'}"
        try:
            update = Update.de_json(raw, self.bot)
        except Exception as exc:  # answered 200: Telegram would only send it again
            await self._set_aside("parse", ref, raw, exc)
            return web.Response(status=200)
        try:
            await self._process(update, retry=False)
        except Exception as exc:
            if not is_storage_failure(exc):
                await self._set_aside("adapter", ref, raw, exc)
                return web.Response(status=200)
            log.exception("telegram: %s could not be stored; Telegram will resend it", ref)
            return web.Response(status=500)
        return web.Response(status=200)

    async def _publish_menu(self) -> None:
        if not self._menu:
            return
        bot = self.bot
        try:
            await bot.set_my_commands([BotCommand(m.name, m.zh[:256]) for m in self._menu])
            await bot.set_my_commands(
                [BotCommand(m.name, m.en[:256]) for m in self._menu], language_code="en"
            )
        except TelegramError as exc:
            log.warning("telegram: could not publish the commands menu: %s", exc)

    # --- inbound --------------------------------------------------------------------------

    def _clean(self, text: str) -> str:
        """Drop this bot's @username from commands (/report@bot) and leading mentions."""
        if not self.username:
            return text
        name = re.escape(self.username)
        text = re.sub(rf"^(/[A-Za-z0-9_]+)@{name}\b", r"\1", text, flags=re.I)
        return re.sub(rf"^@{name}\b[\s,，:：]*", "", text, flags=re.I)

    def to_incoming(self, update: Update) -> Incoming | None:
        """The neutral message for an update, or None when it is nothing for the bot."""
        msg, user, chat = update.message, update.effective_user, update.effective_chat
        if msg is None or user is None or chat is None or user.is_bot:
            return None
        raw = msg.text or msg.caption or ""
        if not isinstance(raw, str):  # a Bot API newer than the library, or a broken server
            raise TypeError(f"message text is {type(raw).__name__}, not a string")
        return self._incoming(
            _Plain(
                chat_id=chat.id,
                chat_type=chat.type,
                user_id=user.id,
                name=user.full_name or user.username or str(user.id),
                message_id=msg.message_id,
                at=msg.date,
                text=raw,
                photo=msg.photo[-1].file_id if msg.photo else None,
                voice=msg.voice.file_id if msg.voice else None,  # OGG/Opus: fetch_voice
            )
        )

    def _incoming(self, plain: _Plain | None) -> Incoming | None:
        if plain is None:  # from a bot: nothing for this one
            return None
        raw = strip_invisible(plain.text)  # before the mention is looked for: it could hide it
        text = self._clean(raw)
        return Incoming(
            platform=self.platform,
            chat_id=str(plain.chat_id),
            chat_kind=ChatKind.PRIVATE if plain.chat_type == "private" else ChatKind.GROUP,
            sender_id=str(plain.user_id),
            sender_name=plain.name,
            text=text,
            message_id=f"{plain.chat_id}:{plain.message_id}",
            at=plain.at,
            attachments=(plain.photo,) if plain.photo else (),
            mentioned=text != raw,
            voice=plain.voice,
        )

    async def fetch_voice(self, file_id: str) -> bytes:
        """A voice message's clip, through getFile and the Bot API's file download."""
        try:
            found = await self.bot.get_file(file_id)
            return bytes(await found.download_as_bytearray())
        except TelegramError as exc:
            raise OSError(f"Telegram: voice {file_id} could not be fetched: {exc}") from exc

    async def _on_button(self, update: Update, *, retry: bool = True) -> None:
        query = update.callback_query
        if query is None or query.data is None:
            return
        message = query.message if isinstance(query.message, Message) else None
        chat = message.chat if message else None
        user = query.from_user
        incoming = Incoming(
            platform=self.platform,
            chat_id=str(chat.id if chat else user.id),
            chat_kind=ChatKind.PRIVATE
            if chat is None or chat.type == "private"
            else ChatKind.GROUP,
            sender_id=str(user.id),
            sender_name=user.full_name or str(user.id),
            text="",
            message_id=f"cb:{query.id}",
            at=message.date if message else datetime.now(UTC),
            # not a string (a client's bug): handed on as it came, for the handler to refuse
            action=query.data.removeprefix(CHOICE) if isinstance(query.data, str) else query.data,
        )
        handled = await self._store(incoming, retry=retry)
        # refused: said where it was pressed, and the message stays as it was
        refusal = self._intake.refusal(incoming) if self._intake is not None else None
        try:
            if refusal is not None:
                toast = refusal if len(refusal) <= MAX_TOAST else refusal[: MAX_TOAST - 1] + "…"
                await query.answer(text=toast, show_alert=len(refusal) > 60)
            else:
                await query.answer()
        except TelegramError as exc:
            log.info("telegram: answering a button press failed: %s", exc)
        if refusal is None and handled and message is not None and _offers(message, query.data):
            await self._show_pressed(message, query.data)

    async def _show_pressed(self, message: Message, data: str) -> None:
        """Edit the message: the pressed button goes (with the other answers, when it was
        one answer of a question), a line says what was done."""
        markup = message.reply_markup
        rest = []
        if markup is not None:
            rest = [
                [
                    b
                    for b in row
                    if b.callback_data != data
                    and not (data.startswith(CHOICE) and str(b.callback_data).startswith(CHOICE))
                ]
                for row in markup.inline_keyboard
            ]
            rest = [row for row in rest if row]
        new_markup = InlineKeyboardMarkup(rest) if rest else None
        action = data.removeprefix(CHOICE)
        try:
            if message.text is not None:
                await message.edit_text(
                    f"{message.text}\n\n✅ {action}"[:MAX_TEXT], reply_markup=new_markup
                )
            else:
                await message.edit_reply_markup(reply_markup=new_markup)
        except TelegramError as exc:
            log.info("telegram: could not edit the pressed message: %s", exc)

    # --- outbound -------------------------------------------------------------------------

    async def _pin(self, chat: int | str, message_id: int) -> None:
        try:
            await self.bot.pin_chat_message(chat, message_id, disable_notification=True)
        except TelegramError as exc:  # not an admin of the group: the notice still went out
            log.warning("telegram: could not pin a notice in %s: %s", chat, exc)

    async def _send_text(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """sendMessage with its parameters as JSON values, its answer as JSON: the same
        call, errors and retries as Bot.send_message, without building PTB's objects for
        the request (the buttons, a merged answer's mentions) and parsing the Message it
        answers — a third of the cost of a send in a burst."""
        result = await self.bot.do_api_request("sendMessage", api_kwargs=kwargs)
        if not isinstance(result, dict) or not _is_int(result.get("message_id")):
            raise TelegramError(f"sendMessage answered {str(result)[:200]!r}, not a message")
        return result

    async def send(self, message: Outbound) -> None:
        """Send one message; DeliveryFailed says whether and when to retry."""
        bot = self.bot
        text, entities = mentioned_text(message)
        # the buttons as the Bot API takes them (a PTB markup only for a photo or document)
        markup: dict[str, Any] | None = (
            {
                "inline_keyboard": [
                    [
                        {
                            "text": b.label,
                            "callback_data": (CHOICE + b.action[:63])
                            if b.choice
                            else b.action[:64],
                        }
                        for b in message.buttons
                    ]
                ]
            }
            if message.buttons
            else None
        )
        keyboard = (
            InlineKeyboardMarkup.de_json(markup, bot)
            if markup is not None and (message.document or message.photo)
            else None
        )
        chat = int(message.chat_id) if message.chat_id.lstrip("-").isdigit() else message.chat_id
        try:
            if message.document:
                caption = text if len(text) <= MAX_CAPTION else None
                path = Path(message.document)
                data = await asyncio.to_thread(path.read_bytes)
                if path.suffix == ".png":  # a chart: shown as a picture
                    await bot.send_photo(chat, data, caption=caption, reply_markup=keyboard)
                else:
                    await bot.send_document(
                        chat, data, filename=path.name, caption=caption, reply_markup=keyboard
                    )
                if caption is not None:
                    return
                markup = None
            if message.photo:
                caption = text if len(text) <= MAX_CAPTION else None
                await bot.send_photo(
                    chat,
                    message.photo,
                    caption=caption,
                    reply_markup=keyboard if caption is not None else None,
                )
                if caption is not None:
                    return
            pieces = split_text(text, MAX_TEXT)
            for i, piece in enumerate(pieces):
                kwargs: dict[str, Any] = {"chat_id": chat, "text": piece}
                if markup is not None and i == len(pieces) - 1:
                    kwargs["reply_markup"] = markup
                if i == 0 and entities:
                    kwargs["entities"] = [
                        _entity_json(e) for e in entities if e.offset + e.length <= _utf16(piece)
                    ]
                sent = await self._send_text(kwargs)
                if message.pin and i == 0:
                    await self._pin(chat, sent["message_id"])
        except TelegramError as exc:
            raise failure(exc) from exc
