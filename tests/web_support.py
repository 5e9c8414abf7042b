"""The workbench in a test: the real server on 127.0.0.1 (any free port) over the real App of
tests.fakes.Bot, and an HTTP client that logs in the way a person does."""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import aiohttp

from bot.config import WebConfig
from bot.web.server import WebServer
from tests.fakes import Bot, Said

CODE = re.compile(r"登录验证码：(\d{6})")
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
LINK = re.compile(r"(https?://[^/\s]+/login/link\?t=[0-9]+\.[A-Za-z0-9_-]+)")
LINK_TOKEN = re.compile(r'name="t" value="([^"]*)"')


@contextlib.asynccontextmanager
async def workbench(bot: Bot) -> AsyncIterator[WebServer]:
    """The workbench of `bot`'s App, served while the block runs."""
    async with WebServer(bot.app, WebConfig(port=0, secret="test-secret")) as server:
        yield server


def code_sent_to(said: list[Said], name: str) -> str:
    """The login code in the private messages `name` was sent."""
    for s in said:
        if s.where == name and (m := CODE.search(s.text)):
            return m.group(1)
    raise AssertionError(f"no login code was sent to {name}: {said!r}")


def link_sent_to(said: list[Said], name: str) -> str:
    """The 登录 link in the private messages `name` was sent."""
    for s in said:
        if s.where == name and (m := LINK.search(s.text)):
            return m.group(1)
    raise AssertionError(f"no login link was sent to {name}: {said!r}")


@dataclass
class Page:
    status: int
    text: str
    location: str | None

    @property
    def csrf(self) -> str:
        m = CSRF.search(self.text)
        assert m, "the page has no form with a CSRF token"
        return m.group(1)


class Visitor:
    """One browser's worth of cookies, talking to the workbench."""

    def __init__(self, server: WebServer, bot: Bot | None) -> None:
        self.server = server
        self.bot = bot
        # unsafe: keep cookies for an IP address host (127.0.0.1)
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def close(self) -> None:
        await self.http.close()

    async def get(self, path: str) -> Page:
        async with self.http.get(self.server.url + path, allow_redirects=False) as r:
            return Page(r.status, await r.text(errors="replace"), r.headers.get("Location"))

    async def post(self, path: str, data: Mapping[str, str], *, csrf: str | None = None) -> Page:
        """POST a form; with the token of a freshly loaded page unless `csrf` is given
        ("" sends none)."""
        token = csrf if csrf is not None else await self.token()
        form = {**data, **({"csrf": token} if token else {})}
        async with self.http.post(self.server.url + path, data=form, allow_redirects=False) as r:
            return Page(r.status, await r.text(errors="replace"), r.headers.get("Location"))

    async def token(self) -> str:
        """The CSRF token of this visitor's session, as any of its pages carries it."""
        page = await self.get("/login")
        if page.status == 303:  # logged in already
            page = await self.get("/")
        return page.csrf

    async def ask_code(self, name: str) -> Page:
        return await self.post("/login/code", {"name": name})

    async def enter_code(self, name: str, code: str) -> Page:
        return await self.post("/login/verify", {"name": name, "code": code})

    async def login(self, name: str) -> None:
        """Ask for a code, read it from the bot's private message, enter it."""
        assert self.bot is not None, "a visitor without the fake chat logs in by a link"
        await self.ask_code(name)
        code = code_sent_to(await self.bot.flush(), name)
        page = await self.enter_code(name, code)
        assert page.status == 303, page.text

    async def follow_link(self, url: str) -> Page:
        """Open a 登录 link and press its button, as a person does; the page it ends on."""
        assert url.startswith(self.server.url + "/login/link?"), url
        opened = await self.get(url.removeprefix(self.server.url))
        assert opened.status == 200, opened.text[:300]
        m = LINK_TOKEN.search(opened.text)
        assert m, "the link's page has no button with its token"
        return await self.post("/login/link", {"t": html.unescape(m.group(1))}, csrf=opened.csrf)
