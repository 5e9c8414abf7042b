"""Telegram through python-telegram-bot 22: polling or webhook, buttons, photos, pacing."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import re
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
    User,
)
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder

from bot.adapters.base import DeliveryFailed, Handle, handle_until_done, split_text
from bot.config import TelegramConfig
from bot.pacing import Limits, Pacer
from handlers.chat import ChatKind, Incoming
from storage.outbox import Delivery

log = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_CAPTION = 1024
ALLOWED_UPDATES = ["message", "callback_query"]


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
    return DeliveryFailed(f"Telegram: {exc}")  # network errors, time-outs, 5xx: retried


def _utf16(text: str) -> int:
    """A text's length as Telegram counts entity offsets: in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def mentioned_text(delivery: Delivery) -> tuple[str, list[MessageEntity]]:
    """The text with each answer's @-mention in front of it, and a text mention (which
    notifies the person, username or not) for each whose Telegram user id is known."""
    text, entities = "", []
    for part in delivery.pieces():
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
        self._menu = tuple(menu)
        self._poll_timeout = poll_timeout
        self._retry_delay = retry_delay
        self._on_online = on_online  # told when the Bot API answers again after failing
        self._poller: asyncio.Task[None] | None = None
        self._offset: int | None = None  # the first update not yet stored
        self._polling_ok = False
        self.username = ""
        timeout = cfg.timeout_seconds
        builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
            Application.builder()
            .token(cfg.token)
            .connect_timeout(timeout)
            .read_timeout(timeout)
            .write_timeout(timeout)
            .pool_timeout(timeout)
            .get_updates_connect_timeout(timeout)
            .get_updates_read_timeout(timeout)
            .get_updates_write_timeout(timeout)
            .get_updates_pool_timeout(timeout)
        )
        if cfg.base_url:
            builder = builder.base_url(cfg.base_url).base_file_url(cfg.base_url + "file/")
        # updates are received here (polling or webhook), not by PTB's Updater: it
        # acknowledges an update before it is handled
        self.application = builder.updater(None).build()
        self._webhook: web.AppRunner | None = None

    # --- life cycle -----------------------------------------------------------------------

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
        app = self.application
        await app.initialize()
        self.username = app.bot.username or ""
        await self._publish_menu()
        if self.cfg.mode == "webhook":
            await self._start_webhook()
        else:
            await app.bot.delete_webhook()
            self._polling_ok = True
            self._poller = asyncio.create_task(self._poll(), name="telegram-poll")
        log.info("telegram: @%s receiving updates by %s", self.username, self.cfg.mode)

    async def stop(self) -> None:
        """Stop receiving and disconnect."""
        app = self.application
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
            await self._confirm()
        if self._webhook is not None:
            await self._webhook.cleanup()
            self._webhook = None
        await app.shutdown()

    # --- polling: an update is confirmed to Telegram only once it is stored -----------------

    async def _poll(self) -> None:
        """Long-poll for updates and store each before asking for the next.

        Telegram forgets an update once getUpdates is called with a higher offset. PTB's own
        Updater asks for the next batch while the previous one is still being handled, so a
        crash could lose messages Telegram had already forgotten; here the offset moves past
        an update only after the bot has committed it (or seen it before)."""
        delay = self._retry_delay
        bot = self.application.bot
        while True:
            try:
                updates = await bot.get_updates(
                    offset=self._offset,
                    timeout=int(self._poll_timeout),
                    allowed_updates=ALLOWED_UPDATES,
                )
            except Exception as exc:  # network, 5xx, time-out, a reply that is not updates
                self._polling_ok = False
                log.warning("telegram: getUpdates failed (%s); again in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(30.0, delay * 2)
                continue
            if not self._polling_ok and self._on_online is not None:
                try:
                    await self._on_online()  # the Bot API is back: release what waited for it
                except Exception:
                    log.exception("telegram: could not release the queued messages")
            self._polling_ok, delay = True, self._retry_delay
            for update in updates:
                await self._process(update)
                self._offset = update.update_id + 1

    async def _confirm(self) -> None:
        """Tell Telegram which updates are stored, so a restart is not sent them again
        (it would only find them in the inbound table)."""
        if self._offset is None:
            return
        try:
            await self.application.bot.get_updates(offset=self._offset, limit=1, timeout=0)
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

    async def _store(self, incoming: Incoming, *, retry: bool) -> None:
        if retry:
            await handle_until_done(self._handle, incoming, first_delay=self._retry_delay)
        else:
            await self._handle(incoming)

    # --- webhook: Telegram is answered 200 only once the update is stored --------------------

    async def _start_webhook(self) -> None:
        """Listen for Telegram's POSTs and register the public URL with it."""
        app = web.Application()
        app.router.add_post("/" + self.cfg.webhook_path.lstrip("/"), self._on_webhook)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, self.cfg.webhook_listen, self.cfg.webhook_port).start()
        self._webhook = runner
        await self.application.bot.set_webhook(
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
            update = Update.de_json(await request.json(), self.application.bot)
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("telegram: a webhook request that is not an update: %s", exc)
            return web.Response(status=400)
        try:
            await self._process(update, retry=False)
        except Exception:
            log.exception(
                "telegram: update %s could not be stored; Telegram will resend it", update.update_id
            )
            return web.Response(status=500)
        return web.Response(status=200)

    async def _publish_menu(self) -> None:
        if not self._menu:
            return
        bot = self.application.bot
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
        text = self._clean(raw)
        return Incoming(
            platform=self.platform,
            chat_id=str(chat.id),
            chat_kind=ChatKind.PRIVATE if chat.type == "private" else ChatKind.GROUP,
            sender_id=str(user.id),
            sender_name=user.full_name or user.username or str(user.id),
            text=text,
            message_id=f"{chat.id}:{msg.message_id}",
            at=msg.date,
            attachments=(msg.photo[-1].file_id,) if msg.photo else (),
            mentioned=text != raw,
            voice=msg.voice.file_id if msg.voice else None,  # OGG/Opus, fetched by fetch_voice
        )

    async def fetch_voice(self, file_id: str) -> bytes:
        """A voice message's clip, through getFile and the Bot API's file download."""
        try:
            found = await self.application.bot.get_file(file_id)
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
            action=query.data,
        )
        try:
            await query.answer()
        except TelegramError as exc:
            log.info("telegram: answering a button press failed: %s", exc)
        await self._store(incoming, retry=retry)
        if message is not None:
            await self._show_pressed(message, query.data)

    async def _show_pressed(self, message: Message, action: str) -> None:
        """Edit the message: the pressed button goes, a line says what was done."""
        markup = message.reply_markup
        rest = []
        if markup is not None:
            rest = [[b for b in row if b.callback_data != action] for row in markup.inline_keyboard]
            rest = [row for row in rest if row]
            if any(w in action for w in ("满意", "不满意")):
                rest = []
        new_markup = InlineKeyboardMarkup(rest) if rest else None
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
            await self.application.bot.pin_chat_message(chat, message_id, disable_notification=True)
        except TelegramError as exc:  # not an admin of the group: the notice still went out
            log.warning("telegram: could not pin a notice in %s: %s", chat, exc)

    async def send(self, delivery: Delivery) -> None:
        """Send one outbox row; DeliveryFailed says whether and when to retry."""
        bot = self.application.bot
        text, entities = mentioned_text(delivery)
        markup = (
            InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(label, callback_data=action[:64])
                        for label, action in delivery.buttons
                    ]
                ]
            )
            if delivery.buttons
            else None
        )
        chat = int(delivery.chat_id) if delivery.chat_id.lstrip("-").isdigit() else delivery.chat_id
        try:
            if delivery.document:
                caption = text if len(text) <= MAX_CAPTION else None
                path = Path(delivery.document)
                data = await asyncio.to_thread(path.read_bytes)
                if path.suffix == ".png":  # a chart: shown as a picture
                    await bot.send_photo(chat, data, caption=caption, reply_markup=markup)
                else:
                    await bot.send_document(
                        chat, data, filename=path.name, caption=caption, reply_markup=markup
                    )
                if caption is not None:
                    return
                markup = None
            if delivery.photo:
                caption = text if len(text) <= MAX_CAPTION else None
                await bot.send_photo(
                    chat,
                    delivery.photo,
                    caption=caption,
                    reply_markup=markup if caption is not None else None,
                )
                if caption is not None:
                    return
            pieces = split_text(text, MAX_TEXT)
            for i, piece in enumerate(pieces):
                last = i == len(pieces) - 1
                sent = await bot.send_message(
                    chat,
                    piece,
                    reply_markup=markup if last else None,
                    entities=[e for e in entities if e.offset + e.length <= _utf16(piece)]
                    if i == 0 and entities
                    else None,
                )
                if delivery.pin and i == 0:
                    await self._pin(chat, sent.message_id)
        except TelegramError as exc:
            raise failure(exc) from exc
