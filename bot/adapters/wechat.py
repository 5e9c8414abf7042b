"""WeChat through a Wechaty puppet-service gateway, over gRPC with the wechaty-grpc stubs.

The bot is a gRPC client of the gateway (which holds the WeChat login). The adapter owns
its connection: it reconnects with backoff and jitter when the gateway goes away, pings a
silent gateway, and reports a wrong token or a lost login loudly. Sends stay in the outbox
while the gateway is down or logged out."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from grpclib.client import Channel
from grpclib.const import Status
from grpclib.exceptions import GRPCError, StreamTerminatedError
from wechaty_grpc.wechaty import PuppetStub
from wechaty_grpc.wechaty.puppet import EventResponse, EventType

from bot.adapters.base import (
    DeadLetterSink,
    DeliveryFailed,
    Handle,
    Outbound,
    describe,
    handle_until_done,
    split_text,
    with_mentions,
)
from bot.backoff import Backoff
from bot.config import WechatConfig
from bot.lease import Lease
from bot.pacing import Limits, Pacer
from handlers import texts
from handlers.chat import ChatKind, Incoming

log = logging.getLogger(__name__)

MAX_TEXT = 2000  # WeChat cuts long texts; keep each message well under it
CALL_TIMEOUT = 10.0  # one unary call; the event stream has no deadline (the watchdog watches it)
PROBE_SECONDS = 0.25  # while the gateway is away, how often its port is looked at
IMAGE_TYPES = (5, 6)  # the image type in the old and the new numbering of MessageType
AUDIO_TYPE = 2  # a voice message (SILK), the same in both numberings
IMAGE_MEMORY = 600.0  # seconds an image waits for the report text that follows it

Problem = Callable[[str], Awaitable[None]]
Online = Callable[[], Awaitable[None]]


class Link(StrEnum):
    CONNECTING = "connecting"
    ONLINE = "online"  # connected and logged in
    LOGGED_OUT = "logged_out"  # connected, but the gateway has lost its WeChat login
    UNAUTHENTICATED = "unauthenticated"  # the gateway refuses our token
    DOWN = "down"
    STANDBY = "standby"  # another worker holds the gateway (one client per gateway)


# gRPC answers that mean the connection (not one message) is in trouble: reconnect
CONNECTION_TROUBLE = (
    Status.UNAVAILABLE,
    Status.UNAUTHENTICATED,
    Status.DEADLINE_EXCEEDED,
    Status.CANCELLED,
)
OUT_OF_SERVICE = (Link.DOWN, Link.LOGGED_OUT, Link.UNAUTHENTICATED)
NEEDS_A_PERSON = (Link.LOGGED_OUT, Link.UNAUTHENTICATED)  # waiting will not bring it back


@dataclass
class Outage:
    """Why and since when WeChat is out of service, and what the admins were told of it."""

    cause: Link
    detail: str
    since: float  # the loop's clock
    told: set[Link] = field(default_factory=set)


def outage_notice(cause: Link, detail: str) -> str:
    """What the admins read when WeChat goes out of service."""
    if cause is Link.UNAUTHENTICATED:
        return texts.WECHAT_DOWN_TOKEN.format(detail=detail)
    if cause is Link.LOGGED_OUT:
        return texts.WECHAT_DOWN_LOGGED_OUT
    return texts.WECHAT_DOWN_UNREACHABLE


def render(message: Outbound) -> str:
    """The text a WeChat reader sees: each answer @-mentions its resident, and with no
    buttons on WeChat an action is written out — once: an action the text already tells how
    to type (「办结 H1 处理说明」, 「满意」) is not repeated under it."""
    text = with_mentions(message, lambda name: f"@{name}\u2005")
    actions = [b.action for b in message.buttons if f"「{b.action.split()[0]}" not in text]
    if actions:
        text += "\n回复「" + "」或「".join(actions) + "」"
    if message.photo:
        text += "\n（居民附了照片，请在群聊中查看）"
    if message.document:
        text += f"\n（文件已生成：{message.document}，微信暂不能直接发送文件，请向管理员索取）"
    return text


class WechatAdapter:
    """Room and private messages in as Incoming; outbox rows out as gateway sends."""

    platform = "wechat"
    max_text = MAX_TEXT

    def __init__(
        self,
        cfg: WechatConfig,
        handle: Handle,
        *,
        on_problem: Problem | None = None,
        on_online: Online | None = None,
        reconnect_base: float = 1.0,
        probe_seconds: float = PROBE_SECONDS,
        retry_delay: float = 0.5,
        lease: Lease | None = None,
        dead_letter: DeadLetterSink | None = None,
    ) -> None:
        if not cfg.token:
            raise ValueError("wechat.token is required")
        self.cfg = cfg
        host, _, port = cfg.endpoint.rpartition(":")
        self._host, self._port = host, int(port)
        self._handle = handle
        self._on_problem = on_problem
        self._on_online = on_online
        self._reconnect_base = reconnect_base
        self._probe_seconds = probe_seconds
        self._retry_delay = retry_delay  # first pause when the database refuses a message
        self._lease = lease
        self._dead_letter = dead_letter  # where a message that cannot be handled is kept
        self.pacer: Pacer | None = Pacer(
            Limits(
                overall=cfg.overall_per_minute,
                overall_window=60.0,
                private=cfg.private_per_minute,
                private_window=60.0,
                group=cfg.room_per_minute,
                group_window=60.0,
            )
        )
        self.link = Link.CONNECTING
        self.outage: Outage | None = None
        self.last_error = ""
        self.self_id = ""
        self._stub: PuppetStub | None = None
        self._channel: Channel | None = None
        self._task: asyncio.Task[None] | None = None
        self._established = False  # the current connection reached the gateway and started
        self._online = asyncio.Event()
        self._last_event = 0.0
        self._topics: dict[str, str] = {}
        self._names: dict[str, str] = {}
        self._mention_ids: dict[tuple[str, str], str] = {}  # (room, display name) → contact
        self._images: dict[tuple[str, str], tuple[float, str]] = {}

    # --- life cycle -----------------------------------------------------------------------

    @property
    def healthy(self) -> bool:
        """Connected and logged in."""
        return self.link is Link.ONLINE

    async def __aenter__(self) -> WechatAdapter:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Begin connecting in the background; the adapter reconnects by itself."""
        self._task = asyncio.create_task(self._keep_connected(), name="wechat-link")

    async def stop(self) -> None:
        """Disconnect and stop reconnecting."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._close()

    async def wait_online(self, timeout: float) -> None:
        """Wait until connected and logged in (tests, start-up checks)."""
        await asyncio.wait_for(self._online.wait(), timeout)

    def _close(self) -> None:
        if self._channel is not None:
            self._channel.close()
        self._channel = None
        self._stub = None
        self._online.clear()

    async def _set_link(self, link: Link, detail: str = "") -> None:
        """Move the link to a new state; the admins hear once when WeChat goes out of service
        (again if it then needs a person: a scan, a token), and once when it is back."""
        previous, self.link = self.link, link
        if link is Link.ONLINE:
            self.last_error = ""
        else:
            self._online.clear()
            self.last_error = detail or self.last_error
        if link is Link.ONLINE:
            if previous is not Link.ONLINE:
                log.info("wechat: online as %s via %s", self.self_id, self.cfg.endpoint)
            outage, self.outage = self.outage, None
            if outage is not None and outage.told:
                lasted = asyncio.get_running_loop().time() - outage.since
                await self._problem(texts.WECHAT_BACK.format(lasted=_duration(lasted)))
            if previous is not Link.ONLINE and self._on_online is not None:
                try:
                    await self._on_online()
                except Exception:
                    log.exception("wechat: could not release the queued messages")
            self._online.set()  # after the queued messages were released (tests wait on it)
            return
        if link not in OUT_OF_SERVICE:
            return
        if link != previous:
            if link is Link.UNAUTHENTICATED:
                log.error("wechat: the gateway %s refuses our token: %s", self.cfg.endpoint, detail)
            elif link is Link.LOGGED_OUT:
                log.error("wechat: the gateway has lost its WeChat login: %s", detail)
            else:
                log.warning("wechat: gateway %s unreachable: %s", self.cfg.endpoint, detail)
        if self.outage is None:
            self.outage = Outage(link, detail, asyncio.get_running_loop().time())
        self.outage.cause, self.outage.detail = link, detail
        first = not self.outage.told
        if first or (link in NEEDS_A_PERSON and link not in self.outage.told):
            self.outage.told.add(link)
            if first or link is Link.UNAUTHENTICATED:
                await self._problem(outage_notice(link, detail))
            else:
                await self._problem(texts.WECHAT_NEEDS_SCAN)

    async def _problem(self, text: str) -> None:
        if self._on_problem is not None:
            try:
                await self._on_problem(text)
            except Exception:
                log.exception("wechat: could not tell the admins")

    async def _hold_lease(self) -> None:
        """Wait until this worker holds the gateway's lease (a gateway serves one client)."""
        if self._lease is None:
            return
        while not await self._lease.acquire():
            if self.link is not Link.STANDBY:
                log.info("wechat: another worker holds the gateway; standing by")
                self.link = Link.STANDBY
            await asyncio.sleep(self._lease.ttl / 3)

    async def _renew_lease(self) -> None:
        if self._lease is not None and not await self._lease.acquire():
            raise ConnectionError("the gateway's lease went to another worker")

    async def _keep_connected(self) -> None:
        failures = 0
        while True:
            await self._hold_lease()
            self._established = False
            try:
                await self._session()
                detail = "the event stream ended"
            except asyncio.CancelledError:
                raise
            except GRPCError as exc:
                detail = f"{exc.status.name}: {exc.message}"
                if exc.status is Status.UNAUTHENTICATED:
                    await self._set_link(Link.UNAUTHENTICATED, exc.message or "")
            except Exception as exc:
                detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            self._close()
            if self.link is not Link.UNAUTHENTICATED:
                await self._set_link(Link.DOWN, detail)
            if self._established:
                failures = 0  # it had connected: a new problem, so start the backoff afresh
            failures += 1
            backoff = Backoff(self._reconnect_base, self.cfg.reconnect_max_seconds, jitter=0.5)
            await self._pause(backoff.delay(failures))

    async def _pause(self, seconds: float) -> None:
        """Wait before the next attempt, but no longer than it takes a gateway that was not
        listening to come back: its port is looked at every `probe_seconds`."""
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        listening = await self._listening()
        while (left := end - loop.time()) > 0:
            await asyncio.sleep(min(self._probe_seconds, left))
            now_listening = await self._listening()
            if now_listening and not listening:
                return  # the gateway has just (re)started
            listening = now_listening

    async def _listening(self) -> bool:
        """Whether the gateway's port accepts a connection (a TCP handshake, nothing sent)."""
        try:
            async with asyncio.timeout(1.0):
                _, writer = await asyncio.open_connection(self._host, self._port)
        except (OSError, TimeoutError):
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True

    async def _session(self) -> None:
        """One connection: open the event stream, start the puppet, read events until it ends."""
        self._channel = Channel(self._host, self._port)
        metadata = {"authorization": f"Wechaty {self.cfg.token}"}
        # unary calls get a deadline; the event stream lives as long as the connection, and
        # the watchdog below (a ding after `watchdog_seconds` of silence) notices a dead one
        stub = PuppetStub(self._channel, metadata=metadata, timeout=CALL_TIMEOUT)
        stream = PuppetStub(self._channel, metadata=metadata)
        self._stub = stub
        await stub.ding(data="linli")  # fails at once on a wrong token or a dead gateway
        events: asyncio.Queue[EventResponse | BaseException] = asyncio.Queue()

        async def read() -> None:
            try:
                async for event in stream.event():
                    await events.put(event)
            except BaseException as exc:
                await events.put(exc)
                raise
            await events.put(ConnectionError("the event stream ended"))

        reader = asyncio.create_task(read())
        try:
            await stub.start()
            self._established = True
            self._last_event = asyncio.get_running_loop().time()
            wait = self.cfg.watchdog_seconds
            if self._lease is not None:
                wait = min(wait, self._lease.ttl / 3)
            quiet = 0.0
            while True:
                try:
                    async with asyncio.timeout(wait):  # not wait_for: see Sender.run
                        item = await events.get()
                except TimeoutError:
                    await self._renew_lease()
                    quiet += wait
                    if quiet >= self.cfg.watchdog_seconds:
                        await stub.ding(data="watchdog")  # a frozen gateway fails here
                        quiet = 0.0
                    continue
                quiet = 0.0
                if isinstance(item, BaseException):
                    raise item
                self._last_event = asyncio.get_running_loop().time()
                await self._renew_lease()
                await self._on_event(stub, item)
        finally:
            reader.cancel()
            with contextlib.suppress(BaseException):
                await reader

    # --- inbound --------------------------------------------------------------------------

    async def _on_event(self, stub: PuppetStub, event: EventResponse) -> None:
        payload = json.loads(event.payload or "{}")
        kind = event.type
        if kind == EventType.EVENT_TYPE_LOGIN:
            self.self_id = payload.get("contactId", "")
            await self._set_link(Link.ONLINE)
        elif kind == EventType.EVENT_TYPE_LOGOUT:
            await self._set_link(Link.LOGGED_OUT, payload.get("data", "logout"))
        elif kind == EventType.EVENT_TYPE_SCAN and self.link is not Link.ONLINE:
            await self._set_link(Link.LOGGED_OUT, "waiting for a QR-code scan")
        elif kind == EventType.EVENT_TYPE_ERROR:
            log.warning("wechat: gateway error event: %s", payload.get("data", payload))
        elif kind == EventType.EVENT_TYPE_MESSAGE and payload.get("messageId"):
            try:
                incoming = await self._to_incoming(stub, payload["messageId"])
            except GRPCError as exc:
                if exc.status in CONNECTION_TROUBLE:
                    raise
                await self._set_aside(payload, exc)  # the gateway cannot give this message
                return
            except (StreamTerminatedError, OSError, TimeoutError):
                raise  # the connection's trouble: reconnect
            except Exception as exc:  # a payload this adapter cannot read
                await self._set_aside(payload, exc)
                return
            if incoming is not None:
                await self._deliver(incoming)

    async def _set_aside(self, payload: dict[str, Any], exc: Exception) -> None:
        """Keep a message event the adapter cannot turn into a message as a dead letter
        (admins list it with 死信); the connection and the messages after it go on."""
        log.exception("wechat: message %s could not be read", payload.get("messageId"))
        if self._dead_letter is not None:
            await self._dead_letter(
                platform=self.platform,
                stage="adapter",
                ref=str(payload.get("messageId")),
                reason=describe(exc),
                raw=json.dumps(payload, ensure_ascii=False),
            )

    async def _name(self, stub: PuppetStub, contact_id: str) -> str:
        if contact_id not in self._names:
            self._names[contact_id] = (await stub.contact_payload(id=contact_id)).name or contact_id
        return self._names[contact_id]

    async def _served(self, stub: PuppetStub, room_id: str) -> bool:
        if not self.cfg.rooms or room_id in self.cfg.rooms:
            return True
        if room_id not in self._topics:
            self._topics[room_id] = (await stub.room_payload(id=room_id)).topic
        return self._topics[room_id] in self.cfg.rooms

    async def _to_incoming(self, stub: PuppetStub, message_id: str) -> Incoming | None:
        msg = await stub.message_payload(id=message_id)
        talker = msg.from_id
        if not talker or talker == self.self_id:
            return None  # the gateway echoes the bot's own messages
        room = msg.room_id
        if room and not await self._served(stub, room):
            return None
        name = await self._name(stub, talker)
        chat = room or talker
        if room:
            self._mention_ids[(room, name)] = talker
        now = asyncio.get_running_loop().time()
        if not msg.text and msg.type in IMAGE_TYPES:
            # WeChat has no captions: an image waits for the sender's next text
            self._images[(chat, talker)] = (now, message_id)
            return None
        voice = message_id if msg.type == AUDIO_TYPE else None  # fetched by fetch_voice
        attachments: tuple[str, ...] = ()
        image = self._images.pop((chat, talker), None)
        if image is not None and now - image[0] <= IMAGE_MEMORY:
            attachments = (f"wechat-image:{image[1]}",)
        text = msg.text
        mentioned = bool(self.self_id and self.self_id in msg.mention_ids)
        if mentioned:
            text = re.sub(rf"^@{re.escape(self.cfg.bot_name)}[\s\u2005]*", "", text)
        at = (
            datetime.fromtimestamp(msg.timestamp / 1000, UTC)
            if msg.timestamp
            else datetime.now(UTC)
        )
        return Incoming(
            platform=self.platform,
            chat_id=chat,
            chat_kind=ChatKind.GROUP if room else ChatKind.PRIVATE,
            sender_id=talker,
            sender_name=name,
            text=text,
            message_id=message_id,
            at=at,
            attachments=attachments,
            mentioned=mentioned,
            voice=voice,
        )

    async def fetch_voice(self, message_id: str) -> bytes:
        """A voice message's clip (SILK), as the gateway hands it over in a FileBox."""
        stub = self._stub
        if stub is None:
            raise OSError(f"WeChat gateway {self.link.value}: voice {message_id} not fetched")
        reply = await stub.message_file(id=message_id)
        return filebox_bytes(reply.filebox)

    async def _deliver(self, incoming: Incoming) -> None:
        # the gateway pushes events and keeps no copy: hold on to the message until stored
        await handle_until_done(
            self._handle, incoming, first_delay=self._retry_delay, dead_letter=self._dead_letter
        )

    # --- outbound -------------------------------------------------------------------------

    async def send(self, message: Outbound) -> None:
        """Send one message; while the gateway is down or logged out it stays queued."""
        stub = self._stub
        if stub is None or self.link is not Link.ONLINE:
            raise DeliveryFailed(f"WeChat gateway {self.link.value}: {self.last_error}")
        text = render(message)
        room = message.chat_id
        mention_ids = [
            contact
            for part in message.parts
            if part.mention
            and (contact := part.mention_id or self._mention_ids.get((room, part.mention)))
        ]
        try:
            for i, piece in enumerate(split_text(text, MAX_TEXT)):
                await stub.message_send_text(
                    conversation_id=message.chat_id,
                    text=piece,
                    mentonal_ids=mention_ids if i == 0 else [],
                )
        except GRPCError as exc:
            if "not logged in" in (exc.message or ""):
                await self._set_link(Link.LOGGED_OUT, exc.message or "")
            raise DeliveryFailed(f"WeChat {exc.status.name}: {exc.message}") from exc
        except (TimeoutError, OSError, StreamTerminatedError) as exc:
            raise DeliveryFailed(f"WeChat: {type(exc).__name__}: {exc}") from exc


def filebox_bytes(filebox: str) -> bytes:
    """The content of a serialised FileBox (the gateway sends small files as base64)."""
    box = json.loads(filebox or "{}")
    data = box.get("base64") or box.get("boxOptions", {}).get("base64")
    if not data:
        raise OSError(f"a FileBox without its content (type {box.get('type')})")
    return base64.b64decode(data)


def _duration(seconds: float) -> str:
    """A length of time as staff read it: 40秒, 3分钟, 2小时."""
    if seconds < 60:
        return f"{max(1, round(seconds))}秒"
    if seconds < 3600:
        return f"{round(seconds / 60)}分钟"
    return f"{seconds / 3600:.1f}小时"
