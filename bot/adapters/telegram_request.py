"""python-telegram-bot's requests made with aiohttp instead of its default httpx.

PTB lets a bot bring its own request class (`telegram.request.BaseRequest`: one method,
`do_request`, answering the HTTP status and body). aiohttp is already linli's HTTP library
(the web workbench, the webhook, the ops server). Measured against the local fake Bot API
(bench/request_cost.py), a sendMessage costs the bot about a fifth of the CPU it costs
through PTB's HTTPXRequest; BENCHMARKS.md has the figures.

Errors mean what they mean with PTB's own class: a time-out is `TimedOut`, anything else
on the way `NetworkError`. A time-out after the request was written (waiting for the
answer) is raised from `MaybeSent`: Telegram may have acted on it (bot.adapters.telegram's
`failure` tells the sender not to send it again at once).
"""

from __future__ import annotations

import json

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class MaybeSent(Exception):
    """The request was written and its answer did not come in time."""


def _given(value: object, default: float | None) -> float | None:
    """A per-call time-out (seconds, or None: no limit), or this request's default when the
    call gave none (PTB passes its DEFAULT_NONE marker then)."""
    if value is None or isinstance(value, int | float):
        return value
    return default


class AiohttpRequest(BaseRequest):
    """One aiohttp session (a pool of `pool` connections), opened by `initialize`."""

    def __init__(self, *, pool: int, timeout: float | None) -> None:
        self._pool = pool
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # trust_env: HTTP(S)_PROXY and NO_PROXY are honoured, as PTB's httpx client did
            # (where Telegram is reached through a proxy, the bot must not go deaf)
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool), trust_env=True
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        # aiohttp has no write time-out of its own: a request's writing counts against the
        # time-out for its answer (the read), which begins once it is written
        pool = _given(pool_timeout, self._timeout)
        connect = _given(connect_timeout, self._timeout)
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=_given(read_timeout, self._timeout),
        )
        data: aiohttp.FormData | bytes | None = None
        headers = {"User-Agent": self.USER_AGENT}
        if request_data is not None:
            files = request_data.multipart_data
            if files:
                fields = request_data.json_parameters  # each value JSON-encoded for the form
                # names as they are (UTF-8, as PTB's own class sends them): quoted, a Chinese
                # file name would reach the chat as %E9%9A%90…
                form = aiohttp.FormData(quote_fields=False)
                for name, value in fields.items():
                    form.add_field(name, value)
                for name, (filename, content, mimetype) in files.items():
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                data = form
            else:
                # a JSON body, as the Bot API accepts for any call without a file: one C-coded
                # json.dumps, where a form quoted every character of a Chinese text in Python
                # (urllib's quote_plus: a sixth of the bot's CPU in a burst of long answers)
                data = json.dumps(request_data.parameters, ensure_ascii=False).encode()
                headers["Content-Type"] = "application/json"
        try:
            async with self._session.request(
                method, url, data=data, timeout=timeout, headers=headers
            ) as response:
                return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError as err:  # never sent
            raise TimedOut from err
        except TimeoutError as err:  # sent, and no answer in time (aiohttp's are TimeoutErrors)
            raise TimedOut from MaybeSent(str(err) or err.__class__.__name__)
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err
