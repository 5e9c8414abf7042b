"""python-telegram-bot's requests through aiohttp (bot/adapters/telegram_request.py), over
HTTP against the local fake Bot API: what is sent arrives whole, and a failure means what
it means with PTB's own request class."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import NetworkError, TimedOut

from bot.adapters.telegram import failure
from bot.adapters.telegram_request import AiohttpRequest, MaybeSent, env_proxy
from tests.fake_telegram import FakeBotApi, Upload

pytestmark = pytest.mark.slow  # waits out real time-outs


@pytest.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(
        "123:TEST", base_url=fake.base_url, request=AiohttpRequest(pool=8, timeout=0.3)
    ) as bot:
        yield bot


async def test_a_message_and_its_buttons_arrive(bot: Bot, fake: FakeBotApi) -> None:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    markup = InlineKeyboardMarkup([[InlineKeyboardButton("接单 H1", callback_data="接单 H1")]])
    sent = await bot.send_message(-1001, "【隐患上报 H1】3栋 楼道飞线充电", reply_markup=markup)
    [call] = fake.sent("sendMessage")
    assert call.params["text"] == "【隐患上报 H1】3栋 楼道飞线充电"
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "接单 H1"
    assert sent.text == "【隐患上报 H1】3栋 楼道飞线充电"


async def test_a_call_without_a_file_goes_as_json_and_one_with_a_file_as_a_form(
    bot: Bot, fake: FakeBotApi
) -> None:
    """Parameters as JSON values (a form quoted every character of a Chinese text): a text
    that looks like a number stays a string, a chat id stays a number, the buttons an
    object; a document still goes up as multipart."""
    await bot.send_message(-1001, "123")
    await bot.send_document(-1001, b"x", filename="名单.xlsx")
    text, document = fake.calls[-2:]
    assert text.content_type == "application/json"
    assert text.params["text"] == "123" and text.params["chat_id"] == -1001
    assert document.content_type == "multipart/form-data"


async def test_a_document_goes_up_whole_with_its_name_and_caption(
    bot: Bot, fake: FakeBotApi
) -> None:
    content = bytes(range(256)) * 40  # binary, as an XLSX is
    await bot.send_document(-1001, content, filename="隐患_2026-11.xlsx", caption="11月上报")
    [call] = fake.sent("sendDocument")
    assert call.params["caption"] == "11月上报"
    assert call.params["document"] == Upload("隐患_2026-11.xlsx", content)


async def test_an_answer_that_never_comes_may_have_been_sent(bot: Bot, fake: FakeBotApi) -> None:
    """Written, then no answer within the time-out (0.3 s; the fake takes 1 s): a time-out
    the sender must not repeat at once, as with PTB's own class."""
    fake.delay = 1.0
    with pytest.raises(TimedOut) as caught:
        await bot.send_message(-1001, "通知")
    assert isinstance(caught.value.__cause__, MaybeSent)
    assert failure(caught.value).maybe_sent


async def test_nothing_listening_is_a_network_error_never_sent() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    request = AiohttpRequest(pool=1, timeout=0.3)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as caught:
            await request.do_request(f"http://127.0.0.1:{port}/bot123:TEST/getMe", "POST")
    finally:
        await request.shutdown()
    assert not isinstance(caught.value, TimedOut)
    assert not failure(caught.value).maybe_sent


async def test_a_long_poll_waits_past_the_default_time_out(bot: Bot, fake: FakeBotApi) -> None:
    """getUpdates asks for its own, longer read time-out (the poll's): an empty poll of 1 s
    is an empty answer, not a time-out of the request's 0.3 s."""
    assert await bot.get_updates(timeout=1) == ()


async def test_the_proxy_of_the_environment_is_used(
    fake: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP_PROXY is honoured as PTB's own client honoured it (Telegram is often reached
    through one): the fake Bot API stands in as the proxy, and the Bot API's host is one
    that does not resolve — reached only through the proxy."""
    proxy = fake.base_url.split("/bot")[0]  # http://127.0.0.1:PORT
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    request = AiohttpRequest(pool=1, timeout=5)
    async with Bot("123:TEST", base_url="http://api.telegram.invalid/bot", request=request) as bot:
        assert bot.username
    assert fake.sent("getMe")


async def _recording_proxy(heads: list[str]) -> asyncio.Server:
    """A proxy that writes down each request's head and answers getMe itself."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        heads.append((await reader.readuntil(b"\r\n\r\n")).decode())
        me = {"id": 1, "is_bot": True, "first_name": "小区助手", "username": "proxied_bot"}
        body = json.dumps({"ok": True, "result": me}).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    return await asyncio.start_server(serve, "127.0.0.1", 0)


async def test_a_proxys_credentials_reach_it_and_no_proxy_is_honoured(
    fake: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The proxy's user and password (in HTTP_PROXY, percent-encoded) go to the proxy as
    Proxy-Authorization (in the request it forwards, or in the CONNECT of a tunnel to an
    https:// Bot API), never to the Bot API; a host in NO_PROXY is reached directly."""
    heads: list[str] = []
    async with await _recording_proxy(heads) as proxy:
        port = proxy.sockets[0].getsockname()[1]
        monkeypatch.setenv("HTTP_PROXY", f"http://linli:p%40ss@127.0.0.1:{port}")
        for name in ("NO_PROXY", "no_proxy", "http_proxy", "https_proxy"):
            monkeypatch.delenv(name, raising=False)
        request = AiohttpRequest(pool=1, timeout=5)
        async with Bot(
            "123:TEST", base_url="http://api.telegram.invalid/bot", request=request
        ) as bot:
            assert bot.username == "proxied_bot"
        assert len(heads) == 1
        head = heads[0]
        assert head.startswith("POST http://api.telegram.invalid/bot123:TEST/getMe ")
        secret = base64.b64encode(b"linli:p@ss").decode()
        assert f"Proxy-Authorization: Basic {secret}\r\n" in head

        # to an https:// Bot API, through a tunnel: the credentials go in the CONNECT (the
        # recording proxy then answers no TLS: the call fails, as through a broken proxy)
        monkeypatch.setenv("HTTPS_PROXY", f"http://linli:p%40ss@127.0.0.1:{port}")
        request = AiohttpRequest(pool=1, timeout=5)
        with pytest.raises(NetworkError):
            async with Bot(
                "123:TEST", base_url="https://api.telegram.invalid/bot", request=request
            ):
                pass
        assert heads[1].startswith("CONNECT api.telegram.invalid:443 ")
        assert f"Proxy-Authorization: Basic {secret}\r\n" in heads[1]

        monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # the fake Bot API, reached directly
        request = AiohttpRequest(pool=1, timeout=5)
        async with Bot("123:TEST", base_url=fake.base_url, request=request) as bot:
            assert bot.username != "proxied_bot"
        assert len(heads) == 2 and fake.sent("getMe")


def test_the_environments_proxy_as_urllib_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTPS_PROXY for https, HTTP_PROXY for http; an https:// proxy is ignored, as aiohttp's
    own trust_env ignores one; none named, none used."""
    for name in ("NO_PROXY", "no_proxy", "http_proxy", "https_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://10.0.0.1:3128")
    assert env_proxy("https://api.telegram.org/bot1:X/getMe") == ("http://10.0.0.1:3128", None)
    assert env_proxy("http://api.telegram.org/bot1:X/getMe") == (None, None)
    monkeypatch.setenv("HTTPS_PROXY", "10.0.0.1:3128")  # no scheme: http, as httpx took it
    assert env_proxy("https://api.telegram.org/bot1:X/getMe") == ("http://10.0.0.1:3128", None)
    monkeypatch.setenv("HTTPS_PROXY", "https://10.0.0.1:3128")
    assert env_proxy("https://api.telegram.org/bot1:X/getMe") == (None, None)
