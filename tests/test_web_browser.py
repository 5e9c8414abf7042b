"""The workbench in a real browser: Debian's headless Chromium driven by Playwright. A grid
worker logs in with the code the bot sent to her private chat, filters the list, opens a
report, takes it (接单) and resolves it (办结) from the page, and the resident's chat
messages arrive. Screenshots of every page at desktop and phone width are kept as
artefacts (LINLI_ARTEFACTS, default tmp/artefacts)."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.async_api import Browser, Page, ViewportSize, async_playwright

from bot.config import WebConfig
from bot.web.server import WebServer
from handlers import texts
from handlers.clock import ManualClock
from tests.fake_telegram import FakeBotApi
from tests.fakes import Bot, to
from tests.test_telegram import GROUP, WANGHUI, ZHUDONG, running
from tests.web_support import LINK, code_sent_to, link_sent_to, workbench

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


async def test_the_office_logs_in_by_link_runs_events_and_edits_people(
    bot: Bot, server: WebServer, browser: Browser
) -> None:
    base = server.url
    await bot.dm("朱东", "发起活动 议事会 12月5日 19:00 党群服务中心 限3人 讨论加装电梯")
    await bot.dm("李娜", "发起活动 消防巡查 12月6日 09:00 3栋楼下 限10人")
    await bot.say("王辉", "报名 E1 +1")
    await bot.say("郭先德", "报名 E1 +1")
    await bot.say("小赵", "报名 E2")
    await bot.flush()
    dialogs: list[str] = []

    # 张正芳 writes 登录 to the bot privately and opens the link it answers with
    link = link_sent_to(await bot.dm("张正芳", "登录"), "张正芳")
    context = await browser.new_context(viewport=PHONE, locale="zh-CN")
    page = await context.new_page()
    page.on("dialog", lambda d: dialogs.append(d.message))
    await page.goto(link)
    await _shoot(page, "phone-login-link")
    await page.click("button:text('登录工作台')")
    await page.wait_for_url(base + "/")
    assert "张正芳" in await page.inner_text("header")
    await page.goto(base + "/events")
    await _shoot(page, "phone-events")
    await context.close()
    # the link is used up: a second browser gets the login page
    context = await browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = await context.new_page()
    await page.goto(link)
    await page.click("button:text('登录工作台')")
    await page.wait_for_url("**/login")
    assert "登录链接无效、已过期或已使用" in await page.inner_text(".flash")
    await context.close()

    # the admin: rosters, 停止报名 and 取消活动 from the page; residents told in chat
    context = await browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = await context.new_page()
    page.on("dialog", lambda d: dialogs.append(d.message))
    await _login(page, bot, base, "朱东")
    await page.click("nav >> text=活动")
    assert await page.locator("#event-1 ol.going li").all_inner_texts() == ["王辉 +1"]
    assert await page.locator("#event-1 ol.waiting li").all_inner_texts() == ["郭先德 +1"]
    assert "已报名2人（限3人），候补2人" in await page.inner_text("#event-1 .headcount")
    await _shoot(page, "desktop-events")
    await page.click("#event-1 >> button:text('停止报名')")
    await page.wait_for_selector(".flash")
    assert texts.EVENT_CLOSED.format(number="E1") in await page.inner_text(".flash")
    assert "报名已截止" in await page.inner_text("#event-1 h2")
    assert await bot.flush() == []
    # 取消活动 asks for its box to be ticked: the browser does not send it unticked
    await page.click("#event-1 >> button:text('取消活动')")
    box = page.locator("#event-1 input[name=confirm]")
    assert await box.evaluate("el => el.validity.valueMissing") is True
    assert texts.EVENT_CLOSED.format(number="E1") in await page.inner_text(".flash")  # no new
    assert await bot.flush() == []
    await page.check("#event-1 input[name=confirm]")
    await page.click("#event-1 >> button:text('取消活动')")
    await page.wait_for_selector(".flash")
    assert texts.EVENT_CANCELLED.format(number="E1") in await page.inner_text(".flash")
    said = await bot.flush()
    assert len(to(said, "王辉")) == 1 and "活动「议事会」" in to(said, "王辉")[0].text
    assert len(to(said, "郭先德")) == 1

    # 人员: a leave and a role, through the chat's admin commands
    await page.click("nav >> text=人员")
    await page.click("summary:text('修改 李娜')")
    await _shoot(page, "desktop-people")
    lina = page.locator("details:has(summary:text('修改 李娜'))")
    await lina.locator("input[type=date]").fill("2026-12-08")
    await lina.locator("button:text('请假')").click()
    await page.wait_for_selector(".flash")
    assert "李娜" in await page.inner_text(".flash") and "12月8日" in await page.inner_text(
        ".flash"
    )
    assert "至 12月8日" in await page.inner_text("table.people")
    await page.fill("section.edit input[name=name]", "王辉")
    await page.select_option("section.edit select[name=value]", "volunteer")
    await page.click("section.edit >> button:text('设置角色')")
    await page.wait_for_selector(".flash")
    assert texts.ROLE_ADDED.format(name="王辉", role="志愿者") in await page.inner_text(".flash")
    assert "网页工作台：设置角色 王辉 志愿者" in await page.inner_text("main")
    await context.close()
    context = await browser.new_context(viewport=PHONE, locale="zh-CN")
    page = await context.new_page()
    await _login(page, bot, base, "朱东")
    await page.goto(base + "/people")
    await _shoot(page, "phone-people")
    await context.close()
    assert dialogs == []


HAZARDS = (  # distinct enough not to be taken for the same report twice
    "楼道堆满了纸箱",
    "有人飞线充电",
    "电动车推进了楼道",
    "消防通道被车堵住",
    "电线老化外皮破了",
    "灭火器过期了",
    "有人高空抛物",
    "消防栓的门坏了",
)


async def test_the_stats_page_draws_its_trend_without_script(
    bot: Bot, server: WebServer, browser: Browser
) -> None:
    base = server.url
    number = 0
    # three months of reports in 李娜's grid (1栋 to 3栋), some resolved
    for month, (filed, resolved) in enumerate(((5, 4), (8, 5), (3, 1))):
        if month:
            bot.clock.advance(timedelta(days=31))  # 11-26, 12-27, 2027-01-27
        first = number + 1
        for i in range(filed):
            await bot.say("王辉", f"上报 {i % 3 + 1}栋 {HAZARDS[i]}")
            number += 1
        for n in range(first, first + resolved):
            await bot.dm("李娜", f"接单 H{n}")
            await bot.dm("李娜", f"办结 H{n} 已清理")
        await bot.flush()
    context = await browser.new_context(viewport=DESKTOP, locale="zh-CN", java_script_enabled=False)
    page = await context.new_page()
    # no script runs on the page (none is needed): log in as a person would without one
    await page.goto(base + "/")
    await page.fill("input[name=name]", "张正芳")
    await page.click("text=获取验证码")
    await page.wait_for_selector("input[name=code]")
    await page.fill("input[name=code]", code_sent_to(await bot.flush(), "张正芳"))
    await page.click("button:text('登录')")
    await page.wait_for_url(base + "/")
    await page.goto(base + "/stats")
    assert await page.locator("figure.chart svg").count() == 3
    bars = await page.locator("figure.counts svg rect title").all_text_contents()
    assert "12月 受理 8" in bars and "12月 办结 5" in bars and "1月 受理 3" in bars
    box = await page.locator("figure.counts svg").bounding_box()
    assert box is not None and box["width"] > 400 and box["height"] > 180
    await _shoot(page, "desktop-stats")
    await context.close()
    context = await browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False)
    page = await context.new_page()
    await page.goto(base + "/login")
    await page.fill("input[name=name]", "张正芳")
    await page.click("text=获取验证码")
    await page.wait_for_selector("input[name=code]")
    await page.fill("input[name=code]", code_sent_to(await bot.flush(), "张正芳"))
    await page.click("button:text('登录')")
    await page.wait_for_url(base + "/")
    await page.goto(base + "/stats")
    box = await page.locator("figure.counts svg").bounding_box()
    assert box is not None and box["width"] <= 390
    await _shoot(page, "phone-stats")
    await context.close()


def _photo() -> bytes:
    """A picture as a phone sends it: a JPEG (a stairwell wall and a cable across it)."""
    picture = Image.new("RGB", (640, 480), (214, 206, 190))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, 380, 640, 480), fill=(120, 110, 100))
    draw.line((40, 60, 600, 300), fill=(20, 20, 20), width=8)
    draw.rectangle((520, 260, 620, 420), fill=(60, 90, 160))
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=80)
    return out.getvalue()


async def test_a_telegram_photo_shows_on_the_report_page(
    tmp_path: Path, fake: FakeBotApi, clock: ManualClock, browser: Browser
) -> None:
    fake.files["ph-wire"] = _photo()
    async with (
        running(tmp_path, fake, clock) as tg,
        WebServer(tg.app, WebConfig(port=0, secret="test-secret")) as server,
    ):
        await tg.said(GROUP, WANGHUI, "王辉", "上报 3栋 楼道里有人飞线充电", photo="ph-wire")
        for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            # 朱东 writes 登录 to the bot on Telegram and opens the link on this device
            await tg.said(ZHUDONG, ZHUDONG, "朱东", "登录")
            m = LINK.search(fake.to_chat(ZHUDONG)[-1].params["text"])
            assert m, fake.to_chat(ZHUDONG)[-1].params
            context = await browser.new_context(viewport=viewport, locale="zh-CN")
            page = await context.new_page()
            await page.goto(m.group(1))
            await page.click("button:text('登录工作台')")
            await page.wait_for_url(server.url + "/")
            await page.goto(server.url + "/reports/1")
            img = page.locator("dd.photo img")
            await img.wait_for()
            assert await img.evaluate("el => el.complete && el.naturalWidth") == 640
            assert "飞线充电" in await page.inner_text(".report-text")
            await _shoot(page, f"{size}-report-photo")
            await context.close()
