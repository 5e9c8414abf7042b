"""The workbench in a real browser: Debian's headless Chromium driven by Playwright. A grid
worker logs in with the code the bot sent to her private chat, filters the list, opens a
report, takes it (接单) and resolves it (办结) from the page, and the resident's chat
messages arrive. Screenshots of every page at desktop and phone width are kept as
artefacts (LINLI_ARTEFACTS, default tmp/artefacts)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, ViewportSize, async_playwright

from bot.web.server import WebServer
from handlers import texts
from tests.fakes import Bot, to
from tests.web_support import code_sent_to, workbench

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = ViewportSize(width=1280, height=860)
PHONE = ViewportSize(width=390, height=844)
ARTEFACTS = Path(os.environ.get("LINLI_ARTEFACTS", "tmp/artefacts")) / "web"

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI must install chromium (.ci/run does, from Debian's packages)")
    pytest.skip("no /usr/bin/chromium: apt-get install chromium", allow_module_level=True)


@pytest.fixture
async def server(bot: Bot) -> AsyncIterator[WebServer]:
    async with workbench(bot) as s:
        yield s


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        await b.close()


async def _login(page: Page, bot: Bot, base: str, name: str) -> None:
    """The way a person logs in: the name, the code from their private chat."""
    await page.goto(base + "/")
    assert page.url.startswith(base + "/login")
    await page.fill("input[name=name]", name)
    await page.click("text=获取验证码")
    await page.wait_for_selector("input[name=code]")
    code = code_sent_to(await bot.flush(), name)
    await page.fill("input[name=code]", code)
    await page.click("button:text('登录')")
    await page.wait_for_url(base + "/")


async def _shoot(page: Page, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


async def test_a_grid_worker_runs_a_report_from_the_page(
    bot: Bot, server: WebServer, browser: Browser
) -> None:
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    await bot.say("赵敏", "上报 5栋 消防通道被<b>堵住</b>了<script>alert(1)</script>")
    await bot.say("何伟", "上报 2栋 楼道冒烟了")
    await bot.say("赵敏", "上报 1栋 楼道堆满了纸箱")
    await bot.dm("钱奶奶", "报餐 今天 午餐 送餐 少盐")
    await bot.flush()
    base = server.url
    context = await browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = await context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    await _login(page, bot, base, "李娜")
    assert "今日" in await page.inner_text("h1")
    await _shoot(page, "desktop-today")

    # the list, filtered to 3栋: H1 only (H3 is in 2栋, the same grid)
    await page.click("nav >> text=隐患")
    await page.select_option("select[name=building]", "3栋")
    await page.select_option("select[name=status]", "open")
    await page.click("button:text('筛选')")
    await page.wait_for_url("**/reports?*building=*")
    rows = await page.locator("table.reports tbody tr").all_inner_texts()
    assert len(rows) == 1 and rows[0].startswith("H1")

    # the report, 接单 and 办结 from the page
    await page.click("a:text('H1')")
    await page.wait_for_url(base + "/reports/1")
    await page.click("button:text('接单')")
    await page.wait_for_selector(".flash")
    assert "已接单 H1" in await page.inner_text(".flash")
    said = await bot.flush()
    assert [s.text for s in to(said, "王辉")] == [
        texts.ACKED_REPORTER.format(number="H1", place="3栋", text="楼道飞线充电", worker="李娜")
    ]
    await page.fill("form[action='/reports/1/resolve'] input[name=text]", "已清理，已告知住户")
    await page.click("button:text('办结')")
    await page.wait_for_selector(".flash")
    assert "已办结 H1" in await page.inner_text(".flash")
    assert "已办结" in await page.inner_text("h1 .status")
    said = await bot.flush()
    to_resident = to(said, "王辉")
    assert len(to_resident) == 1
    assert "已办结。处理说明：已清理，已告知住户" in to_resident[0].text
    assert "接单（李娜）" in await page.inner_text("ol.history")
    await _shoot(page, "desktop-report-resolved")

    # a report's HTML is text on the page, never run
    await page.goto(base + "/reports?building=5栋")
    assert await page.locator("text=<script>alert(1)</script>").count() == 0  # not H1's grid
    await context.close()

    # the community office sees everything; every page at desktop and phone width
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = await browser.new_context(viewport=viewport, locale="zh-CN")
        page = await context.new_page()
        page.on("dialog", lambda d: dialogs.append(d.message))
        await _login(page, bot, base, "朱东")
        for path, name in (
            ("/", "today"),
            ("/reports", "reports"),
            ("/reports/2", "report"),
            ("/map", "map"),
            ("/stats", "stats"),
            ("/canteen", "canteen"),
            ("/people", "people"),
            ("/events", "events"),
            ("/notices", "notices"),
            ("/votes", "votes"),
        ):
            await page.goto(base + path)
            assert await page.locator("main h1").count() >= 1, path
            await _shoot(page, f"{size}-{name}")
        await page.goto(base + "/reports/2")
        assert "<script>alert(1)</script>" in await page.inner_text(".report-text")
        await page.goto(base + "/logout")  # a GET is not a logout: only the form is
        assert page.url != base + "/login"
        await page.click("button:text('退出')")
        await page.wait_for_url("**/login")
        await context.close()
    await _shoot_login(browser, base)
    assert dialogs == []  # no script ever ran


async def _shoot_login(browser: Browser, base: str) -> None:
    context = await browser.new_context(viewport=PHONE, locale="zh-CN")
    page = await context.new_page()
    await page.goto(base + "/login")
    await _shoot(page, "phone-login")
    await context.close()
