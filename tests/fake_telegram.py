"""A local fake of the Telegram Bot API on 127.0.0.1: answers the methods the bot calls,
records what it was sent, and can fail, rate-limit or refuse on request."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

BOT_ID = 999
BOT_USERNAME = "linli_test_bot"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: datetime
    content_type: str = ""  # how the parameters came: application/json, multipart/form-data…


@dataclass(frozen=True)
class Upload:
    """A file a call uploaded (multipart), as the fake received it."""

    filename: str
    content: bytes


@dataclass
class FakeBotApi:
    """The server's state; `now` stamps calls (the tests' injected clock)."""

    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    calls: list[Call] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    outage: bool = False  # answer 500 to every send
    down: bool = False  # answer 500 to every method, getUpdates included
    retry_after_next: int | None = None  # answer the next send with 429 …
    retry_after_chat: str | None = None  # … the next send to this chat, when set
    blocked: set[str] = field(default_factory=set)  # chat ids that answer 403
    enforce_limits: bool = False  # 429 over Telegram's documented limits (see _over_limit)
    hanging: bool = False  # hold every request until release(); the caller may give up
    hanging_chats: set[str] | None = None  # hold only sends to these chats (None: all)
    # on release, a held request is processed even if its caller gave up (Telegram got it
    # and was slow), instead of dropped; it is stamped with the time it arrived
    land_late: bool = False
    delay: float = 0.0  # seconds before a send is processed (dropped if its caller left)
    confirmed: int = 0  # updates below this id were confirmed by an offset, and forgotten
    # called with each call before it is answered (a test kills the bot there)
    on_call: Callable[[Call], None] | None = None
    # called as a send arrives, before it is timed: a test moves its clock there by the
    # time the request took to get here (which varies, as on a real network)
    transit: Callable[[], object] | None = None
    port: int = 0
    _released: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _new_update: asyncio.Event = field(default_factory=asyncio.Event)
    _holding: list[str] = field(default_factory=list)  # methods of the requests held
    _held: list[web.Request] = field(default_factory=list)  # and the requests themselves
    files: dict[str, bytes] = field(default_factory=dict)  # file_id → content (getFile)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/botfile/{token}/{path:.+}", self._download)
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        self._new_update.set()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what tests look at ----------------------------------------------------------------

    def sent(self, method: str = "sendMessage") -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def delivered(self, method: str = "sendMessage") -> list[Call]:
        """Sends that went through (answered with a message)."""
        return [c for c in self.sent(method) if "_result" in c.params]

    def hang(self, *, chats: set[str] | None = None, land_late: bool = False) -> None:
        """From now on, requests (sends to `chats` only, if given) get no answer until
        release(). `land_late`: those whose caller gave up meanwhile are processed on
        release all the same (as Telegram may, having received them), not dropped."""
        self.hanging = True
        self.hanging_chats = chats
        self.land_late = land_late
        self._released.clear()

    def release(self) -> None:
        """Answer again; requests whose caller gave up meanwhile are dropped unprocessed
        (or processed, after hang(land_late=True))."""
        self.hanging = False
        self._released.set()

    def caller_gone(self) -> bool:
        """Whether every held request's caller has hung up (its connection closed)."""
        return all(r.transport is None or r.transport.is_closing() for r in self._held)

    def held(self, method: str = "sendMessage") -> int:
        """How many requests are held right now."""
        return sum(1 for m in self._holding if m == method)

    def to_chat(self, chat_id: int | str, method: str = "sendMessage") -> list[Call]:
        return [c for c in self.sent(method) if str(c.params.get("chat_id")) == str(chat_id)]

    # --- what users do ---------------------------------------------------------------------

    def _user(self, user_id: int, name: str) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": name}

    def _chat(self, chat_id: int) -> dict[str, Any]:
        if chat_id < 0:
            return {"id": chat_id, "type": "supergroup", "title": "业主群"}
        return {"id": chat_id, "type": "private", "first_name": "x"}

    def push_message(
        self, chat_id: int, user_id: int, name: str, text: str, photo: str | None = None
    ) -> int:
        """A user writes (or sends a photo with a caption); returns the update id."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(self.now().timestamp()),
            "chat": self._chat(chat_id),
            "from": self._user(user_id, name),
        }
        if photo:
            message["photo"] = [
                {
                    "file_id": photo + "-small",
                    "file_unique_id": photo + "s",
                    "width": 90,
                    "height": 90,
                },
                {"file_id": photo, "file_unique_id": photo, "width": 800, "height": 800},
            ]
            message["caption"] = text
        else:
            message["text"] = text
            if text.startswith("/"):
                length = len(text.split()[0])
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self._push({"message": message})

    def push_voice(self, chat_id: int, user_id: int, name: str, clip: bytes) -> int:
        """A user sends a voice message (OGG/Opus); the bot fetches it with getFile."""
        file_id = f"voice-{next(self._message_ids)}"
        self.files[file_id] = clip
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(self.now().timestamp()),
            "chat": self._chat(chat_id),
            "from": self._user(user_id, name),
            "voice": {
                "file_id": file_id,
                "file_unique_id": file_id + "u",
                "duration": 4,
                "mime_type": "audio/ogg",
                "file_size": len(clip),
            },
        }
        return self._push({"message": message})

    async def _download(self, request: web.Request) -> web.Response:
        """The Bot API's file download: /file/bot<token>/<file_path>."""
        if (failed := await self._fault(request)) is not None:
            return failed
        file_id = request.match_info["path"].removeprefix("voice/").removesuffix(".oga")
        self.calls.append(Call("download", {"file_id": file_id}, self.now()))
        if file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id], content_type="audio/ogg")

    def push_button(self, message: Call, user_id: int, name: str, data: str) -> int:
        """A user presses an inline button under a message the bot sent."""
        result = message.params["_result"]
        return self._push(
            {
                "callback_query": {
                    "id": f"q{next(self._message_ids)}",
                    "from": self._user(user_id, name),
                    "chat_instance": "ci",
                    "message": result,
                    "data": data,
                }
            }
        )

    def push_raw(self, update: dict[str, Any]) -> int:
        """Any update as JSON, well-formed or not (a newer Bot API, a broken server)."""
        return self._push(update)

    def message_json(self, chat_id: int, user_id: int, name: str, text: Any) -> dict[str, Any]:
        """A message as Telegram sends it, to change before pushing it raw."""
        return {
            "message_id": next(self._message_ids),
            "date": int(self.now().timestamp()),
            "chat": self._chat(chat_id),
            "from": self._user(user_id, name),
            "text": text,
        }

    def _push(self, update: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self.updates.append({"update_id": update_id, **update})
        self._new_update.set()
        return update_id

    # --- the Bot API -----------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, str):
                    try:
                        params[key] = json.loads(value)
                    except ValueError:
                        params[key] = value
                elif isinstance(value, web.FileField):  # an uploaded file: its name and bytes
                    params[key] = Upload(value.filename, value.file.read())
        return params

    def _answer(self, result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    def _error(self, code: int, description: str, **extra: Any) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if extra:
            body["parameters"] = extra
        return web.json_response(body, status=code)

    def _over_limit(self, chat_id: str) -> bool:
        """Telegram's limits as this project assumes them: 3 in 3 s per chat (groups too),
        20 a minute per group, 30 a second overall (counting messages that went out)."""
        if not self.enforce_limits:
            return False
        now = self.now()
        delivered = [c for c in self.calls if "_result" in c.params]

        def within(calls: list[Call], seconds: float) -> int:
            return sum(1 for c in calls if (now - c.at).total_seconds() < seconds)

        if within(delivered, 1.0) >= 30:
            return True
        mine = [c for c in delivered if str(c.params.get("chat_id")) == chat_id]
        if within(mine, 3.0) >= 3:  # about one a second per chat, groups included
            return True
        return chat_id.startswith("-") and within(mine, 60.0) >= 20

    async def _fault(self, request: web.Request, chat_id: str | None = None) -> web.Response | None:
        """The answer while the server is down or hanging; None when it works."""
        if self.hanging and (self.hanging_chats is None or chat_id in self.hanging_chats):
            method = request.match_info.get("method", "")
            self._holding.append(method)
            self._held.append(request)
            try:
                await self._released.wait()
            finally:
                self._holding.remove(method)
                self._held.remove(request)
            gone = request.transport is None or request.transport.is_closing()
            if gone and not self.land_late:
                return self._error(500, "the caller gave up")  # never processed
        if self.delay and chat_id is not None:
            await asyncio.sleep(self.delay)
            if request.transport is None or request.transport.is_closing():
                return self._error(500, "the caller gave up")  # never processed
        if self.down:
            return self._error(500, "Internal Server Error")
        return None

    async def _dispatch(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        if self.transit is not None and method in ("sendMessage", "sendPhoto"):
            self.transit()
        arrived = self.now()
        chat = str(params["chat_id"]) if "chat_id" in params else None
        if (failed := await self._fault(request, chat)) is not None:
            return failed
        call = Call(method, params, arrived if self.land_late else self.now(), request.content_type)
        self.calls.append(call)
        if self.on_call is not None:
            self.on_call(call)
        if method == "getMe":
            return self._answer(
                {
                    "id": BOT_ID,
                    "is_bot": True,
                    "first_name": "小区助手",
                    "username": BOT_USERNAME,
                    "can_join_groups": True,
                    "can_read_all_group_messages": True,
                    "supports_inline_queries": False,
                }
            )
        if method == "getUpdates":
            return await self._get_updates(request, params)
        if method in ("sendMessage", "sendPhoto"):
            chat_id = str(params.get("chat_id"))
            if self.outage:
                return self._error(500, "Internal Server Error")
            if self.retry_after_next is not None and self.retry_after_chat in (None, chat_id):
                wait, self.retry_after_next = self.retry_after_next, None
                return self._error(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
            if self._over_limit(chat_id):
                return self._error(429, "Too Many Requests: retry after 3", retry_after=3)
            if chat_id in self.blocked:
                return self._error(403, "Forbidden: bot was blocked by the user")
            result = self._message(params, method)
            params["_result"] = result
            return self._answer(result)
        if method == "getFile":
            file_id = str(params.get("file_id"))
            if file_id not in self.files:
                return self._error(400, "Bad Request: invalid file_id")
            return self._answer(
                {
                    "file_id": file_id,
                    "file_unique_id": file_id + "u",
                    "file_size": len(self.files[file_id]),
                    "file_path": f"voice/{file_id}.oga",
                }
            )
        if method in ("editMessageText", "editMessageReplyMarkup"):
            return self._answer(True)
        return self._answer(True)  # setMyCommands, answerCallbackQuery, deleteWebhook, …

    def _message(self, params: dict[str, Any], method: str) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(self.now().timestamp()),
            "chat": self._chat(chat_id),
            "from": {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "小区助手",
                "username": BOT_USERNAME,
            },
        }
        if method == "sendPhoto":
            message["photo"] = [
                {"file_id": params["photo"], "file_unique_id": "u", "width": 1, "height": 1}
            ]
            if params.get("caption"):
                message["caption"] = params["caption"]
        else:
            message["text"] = params.get("text", "")
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    async def _get_updates(self, request: web.Request, params: dict[str, Any]) -> web.Response:
        offset = int(params.get("offset") or 0)
        if offset > self.confirmed:  # Telegram forgets what an offset confirms
            self.confirmed = offset
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        timeout = min(float(params.get("timeout") or 0), 1.0)
        pending = [u for u in self.updates if u["update_id"] >= offset]
        if not pending and timeout > 0:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout)
            if (failed := await self._fault(request)) is not None:
                return failed  # the fault began during the long poll
            pending = [u for u in self.updates if u["update_id"] >= offset]
        return self._answer(pending[: int(params.get("limit") or 100)])  # Telegram's cap
