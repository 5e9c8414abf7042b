"""The workbench beside the real Telegram adapter (python-telegram-bot against the fake Bot
API): a report's photo is fetched by its file id when the page shows it, only a picture is
served, and the 登录 link arrives in the Telegram private chat."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, cast

from bot.config import WebConfig
from bot.web import texts as web_texts
from bot.web.server import WebServer
from handlers.clock import ManualClock
from tests.fake_telegram import FakeBotApi
from tests.test_telegram import CHENGANG, GROUP, WANGHUI, ZHUDONG, Telegram, running
from tests.web_support import LINK, Visitor

# the smallest JPEG header a browser sniffs as one; the page serves bytes, it draws nothing
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
HOSTILE = b"<html><script>alert(1)</script></html>"


async def _login_by_link(tg: Telegram, server: WebServer, user: int, name: str) -> Visitor:
    """`name` writes 登录 to the bot on Telegram and follows the link it answers with."""
    await tg.said(user, user, name, "登录")
    answers = [c.params["text"] for c in tg.fake.to_chat(user)]
    m = LINK.search(answers[-1])
    assert m, answers
    v = Visitor(server, None)
    page = await v.follow_link(m.group(1))
    assert page.status == 303 and page.location == "/", page.text[:300]
    return v


async def _bytes(v: Visitor, path: str) -> tuple[int, str, bytes]:
    async with v.http.get(v.server.url + path, allow_redirects=False) as r:
        return r.status, r.content_type, await r.read()


async def test_a_telegram_photo_is_shown_on_the_report_page(
    tmp_path: Path, fake: FakeBotApi, clock: ManualClock
) -> None:
    fake.files["ph-jpeg"] = JPEG
    fake.files["ph-html"] = HOSTILE
    async with (
        running(tmp_path, fake, clock) as tg,
        WebServer(tg.app, WebConfig(port=0, secret="test-secret")) as server,
    ):
        await tg.said(GROUP, WANGHUI, "王辉", "上报 3栋 楼道飞线充电", photo="ph-jpeg")
        await tg.said(GROUP, WANGHUI, "王辉", "上报 3栋 楼道堆物", photo="ph-html")
        await tg.said(GROUP, WANGHUI, "王辉", "上报 3栋 电线老化", photo="ph-gone")
        admin = await _login_by_link(tg, server, ZHUDONG, "朱东")
        other_grid = await _login_by_link(tg, server, CHENGANG, "陈刚")
        try:
            page = await admin.get("/reports/1")
            assert re.search(r'<img src="/reports/1/photo" alt="H1 居民附的照片"', page.text)
            status, kind, body = await _bytes(admin, "/reports/1/photo")
            assert (status, kind, body) == (200, "image/jpeg", JPEG)
            downloads = [c for c in fake.calls if c.method == "download"]
            assert [c.params["file_id"] for c in downloads] == ["ph-jpeg"]
            # bytes that are no picture are never served, whatever Telegram said they were
            status, kind, body = await _bytes(admin, "/reports/2/photo")
            assert status == 404 and kind == "text/html" and b"<script>alert" not in body
            assert web_texts.PHOTO_UNAVAILABLE in body.decode()
            # a file Telegram no longer has: said so, not an error page
            status, _, body = await _bytes(admin, "/reports/3/photo")
            assert status == 404 and web_texts.PHOTO_UNAVAILABLE in body.decode()
            # H1 is in 李娜's grid: 陈刚 sees neither it nor its photo, and nothing is fetched
            n = len(fake.calls)
            assert (await _bytes(other_grid, "/reports/1/photo"))[0] == 403
            assert not [c for c in fake.calls[n:] if c.method in ("getFile", "download")]
            # and no one logged in is sent to the login page
            anonymous = Visitor(server, None)
            try:
                page = await anonymous.get("/reports/1/photo")
                assert page.status == 303 and (page.location or "").startswith("/login")
            finally:
                await anonymous.close()
        finally:
            await admin.close()
            await other_grid.close()


async def test_offline_telegram_photo_is_said_so(
    tmp_path: Path, fake: FakeBotApi, clock: ManualClock
) -> None:
    """Without the Telegram adapter in the process (linli web on the same database) the
    photo cannot be fetched: the page says why instead of showing a broken picture."""
    fake.files["ph-jpeg"] = JPEG
    async with (
        running(tmp_path, fake, clock) as tg,
        WebServer(tg.app, WebConfig(port=0, secret="test-secret")) as server,
    ):
        await tg.said(GROUP, WANGHUI, "王辉", "上报 3栋 楼道飞线充电", photo="ph-jpeg")
        v = await _login_by_link(tg, server, ZHUDONG, "朱东")
        adapters = cast(dict[str, Any], tg.app.adapters)  # running() hands App a dict
        adapter = adapters.pop("telegram")
        try:
            page = await v.get("/reports/1")
            assert "<img" not in page.text
            assert "系统只记下了Telegram的文件编号" in page.text
            assert (await v.get("/reports/1/photo")).status == 404
            assert not [c for c in fake.calls if c.method in ("getFile", "download")]
        finally:
            adapters["telegram"] = adapter
            await v.close()
