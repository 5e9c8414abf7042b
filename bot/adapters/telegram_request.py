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
import logging
from urllib.parse import unquote, urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

log = logging.getLogger(__name__)

Proxy = tuple[str | None, dict[str, str] | None]  # the proxy, and headers for it


def env_proxy(url: str) -> Proxy:
    """The proxy the environment names for `url` (HTTP_PROXY, HTTPS_PROXY, NO_PROXY, as
    urllib reads them), and its credentials as a header for it; (None, None) when none."""
    parts = urlsplit(url)
    if parts.hostname and proxy_bypass(parts.hostname):
        return None, None
    named = getproxies().get(parts.scheme)
    if not named:
        return None, None
    if "://" not in named:  # host:port alone, as httpx took it: an http:// proxy
        named = f"http://{named}"
    proxy = urlsplit(named)
    if proxy.scheme != "http":  # what aiohttp's own trust_env does with one
        log.warning("%s proxies are not supported, ignoring one", proxy.scheme.upper())
        return None, None
    headers = None
    if proxy.username is not None:
        login, password = unquote(proxy.username), unquote(proxy.password or "")
        headers = {"Proxy-Authorization": aiohttp.encode_basic_auth(login, password)}
    return f"http://{proxy.netloc.rpartition('@')[2]}", headers


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
        self._proxies: dict[tuple[str, str], Proxy] = {}  # (scheme, host) → its proxy

    @property
    def read_timeout(self) -> float | None:
        return self._timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # HTTP(S)_PROXY and NO_PROXY are honoured, as PTB's httpx client honoured them
            # (where Telegram is reached through a proxy, the bot must not go deaf): read
            # once a host (_proxy), as httpx read them once. aiohttp's trust_env reads them,
            # and ~/.netrc, again for every request, on a thread: two hops to a thread and
            # back a call, a tenth of the bot's CPU at 100 reports a second
            self._proxies.clear()
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self._pool))

    def _proxy(self, url: str) -> Proxy:
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        if key not in self._proxies:
            self._proxies[key] = env_proxy(url)
        return self._proxies[key]

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
        proxy, proxy_headers = self._proxy(url)
        if proxy_headers and url.startswith("http:"):
            # forwarded as it is, the request carries them itself; to an https:// host they
            # go in the CONNECT alone (never through the tunnel, to the Bot API)
            headers |= proxy_headers
            proxy_headers = None
        try:
            async with self._session.request(
                method,
                url,
                data=data,
                timeout=timeout,
                headers=headers,
                proxy=proxy,
                proxy_headers=proxy_headers,
            ) as response:
                return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError as err:  # never sent
            raise TimedOut from err
        except TimeoutError as err:  # sent, and no answer in time (aiohttp's are TimeoutErrors)
            raise TimedOut from MaybeSent(str(err) or err.__class__.__name__)
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err
