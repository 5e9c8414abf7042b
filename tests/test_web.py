"""The workbench over HTTP: login codes, sessions, CSRF, who may see and do what, hostile
input. The same App and handlers as the chat (tests.fakes.Bot), a real server on 127.0.0.1."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from http.cookies import SimpleCookie

import aiohttp
import pytest
import sqlalchemy as sa

from bot.web.server import WebServer
from handlers import texts
from storage.schema import admin_changes, report_events, reports, web_login_codes
from tests.fakes import Bot, to
from tests.web_support import Visitor, code_sent_to, workbench

# personas of the demo config: the report under test is in 3栋, 李娜's grid (第一网格)
GRID = "李娜"
OTHER_GRID = "陈刚"
COMMUNITY = "张正芳"
ADMIN = "朱东"  # branch and admin
CANTEEN = "刘师傅"
RESIDENT = "王辉"
PROPERTY = "吴经理"


@pytest.fixture
async def server(bot: Bot) -> AsyncIterator[WebServer]:
    async with workbench(bot) as s:
        yield s


@pytest.fixture
async def visitor(server: WebServer, bot: Bot) -> AsyncIterator[Visitor]:
    v = Visitor(server, bot)
    yield v
    await v.close()


async def _visitor_as(server: WebServer, bot: Bot, name: str | None) -> Visitor:
    v = Visitor(server, bot)
    if name is not None:
        await v.login(name)
    return v


async def _report_state(bot: Bot, report_id: int) -> tuple[object, ...]:
    async with bot.db.unit_of_work() as uow:
        row = (
            await uow.conn.execute(
                sa.select(reports.c.status, reports.c.assignee_id, reports.c.building).where(
                    reports.c.id == report_id
                )
            )
        ).one()
        events = await uow.conn.scalar(
            sa.select(sa.func.count())
            .select_from(report_events)
            .where(report_events.c.report_id == report_id)
        )
    return (*row, events)


# -- login ---------------------------------------------------------------------------------


async def test_a_code_in_the_private_chat_logs_in_once(visitor: Visitor, bot: Bot) -> None:
    page = await visitor.get("/")
    assert page.status == 303 and page.location is not None
    assert page.location.startswith("/login")
    page = await visitor.ask_code(GRID)
    assert "验证码已发送到您的私聊" in page.text
    code = code_sent_to(await bot.flush(), GRID)
    page = await visitor.enter_code(GRID, code)
    assert page.status == 303 and page.location == "/"
    today = await visitor.get("/")
    assert today.status == 200 and "今日" in today.text and GRID in today.text
    # the login is in the audit trail
    async with bot.db.unit_of_work() as uow:
        logins = (await uow.conn.execute(admin_changes.select())).all()
    assert [r.action for r in logins][-1] == "web_login"
    # the same code a second time, from another browser: refused
    other = Visitor(visitor.server, bot)
    try:
        page = await other.enter_code(GRID, code)
        assert page.status == 200 and "验证码不正确、已过期或已使用" in page.text
        assert (await other.get("/")).status == 303
    finally:
        await other.close()


async def test_an_expired_code_is_refused(visitor: Visitor, bot: Bot) -> None:
    await visitor.ask_code(GRID)
    code = code_sent_to(await bot.flush(), GRID)
    bot.clock.advance(timedelta(minutes=5, seconds=1))
    page = await visitor.enter_code(GRID, code)
    assert "验证码不正确、已过期或已使用" in page.text
    assert (await visitor.get("/")).status == 303


async def test_wrong_guesses_are_counted_and_kill_the_code(visitor: Visitor, bot: Bot) -> None:
    await visitor.ask_code(GRID)
    code = code_sent_to(await bot.flush(), GRID)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        page = await visitor.enter_code(GRID, wrong)
        assert "验证码不正确" in page.text
    page = await visitor.enter_code(GRID, code)  # right, but after five wrong guesses
    assert "验证码不正确" in page.text
    async with bot.db.unit_of_work() as uow:
        attempts = await uow.conn.scalar(sa.select(web_login_codes.c.attempts))
    assert attempts == 5


async def test_codes_are_rate_limited_and_not_sent_to_non_staff(visitor: Visitor, bot: Bot) -> None:
    for _ in range(3):
        await visitor.ask_code(GRID)
    assert len(to(await bot.flush(), GRID)) == 3
    page = await visitor.ask_code(GRID)  # the fourth within 15 minutes
    assert "验证码已发送到您的私聊" in page.text  # the page says the same …
    assert to(await bot.flush(), GRID) == []  # … but nothing was sent
    bot.clock.advance(timedelta(minutes=16))
    await visitor.ask_code(GRID)
    assert len(to(await bot.flush(), GRID)) == 1
    for name in (RESIDENT, PROPERTY, "不存在的人"):
        page = await visitor.ask_code(name)
        assert "验证码已发送到您的私聊" in page.text
    assert await bot.flush() == []


async def test_the_session_cookie_is_signed_httponly_samesite_and_expires(
    server: WebServer, bot: Bot
) -> None:
    v = Visitor(server, bot)
    try:
        await v.ask_code(COMMUNITY)
        code = code_sent_to(await bot.flush(), COMMUNITY)
        token = await v.token()
        async with v.http.post(
            server.url + "/login/verify",
            data={"name": COMMUNITY, "code": code, "csrf": token},
            allow_redirects=False,
        ) as r:
            header = r.headers.getall("Set-Cookie")[0]
        cookie = SimpleCookie()
        cookie.load(header)
        morsel = cookie["linli_session"]
        assert morsel["httponly"] is True
        assert morsel["samesite"] == "Lax"
        assert int(morsel["max-age"]) == 12 * 3600
        assert (await v.get("/")).status == 200
        # a tampered cookie is no session
        forged = morsel.value[:-2] + ("AA" if not morsel.value.endswith("AA") else "BB")
        async with (
            aiohttp.ClientSession() as bare,
            bare.get(
                server.url + "/",
                headers={"Cookie": f"linli_session={forged}"},
                allow_redirects=False,
            ) as r,
        ):
            assert r.status == 303
        bot.clock.advance(timedelta(hours=12, seconds=1))
        assert (await v.get("/")).status == 303  # expired
    finally:
        await v.close()


# -- who may see and do what ----------------------------------------------------------------

PAGES = (
    "/",
    "/reports",
    "/reports/1",
    "/map",
    "/stats",
    "/stats/export",
    "/canteen",
    "/people",
    "/events",
    "/notices",
    "/votes",
)
ALLOWED = {
    GRID: {"/", "/reports", "/reports/1", "/map", "/events"},
    OTHER_GRID: {"/", "/reports", "/map", "/events"},  # not H1: it is in the other grid
    COMMUNITY: set(PAGES) - {"/people"},
    ADMIN: set(PAGES),
    CANTEEN: {"/", "/canteen"},
}


@pytest.mark.parametrize("who", [None, GRID, OTHER_GRID, COMMUNITY, ADMIN, CANTEEN])
async def test_every_page_by_every_role(
    server: WebServer, bot: Bot, who: str | None, tmp_path: object
) -> None:
    await bot.say(RESIDENT, "上报 3栋 楼道飞线充电")
    before = await _report_state(bot, 1)
    v = await _visitor_as(server, bot, who)
    try:
        for path in PAGES:
            page = await v.get(path)
            if who is None:
                assert page.status == 303, path
                assert page.location and page.location.startswith("/login?next="), path
            elif path in ALLOWED[who]:
                assert page.status == 200, (who, path, page.text[:300])
            else:
                assert page.status == 403, (who, path)
                assert "您的角色不能查看或操作此页面" in page.text
        # every action: done by those who may, refused with 403 and no change for the rest
        token = await v.token() if who is not None else (await v.get("/login")).csrf
        for action, text in (("note", "明天上午处理"), ("reassign", "4栋"), ("ack", "")):
            page = await v.post(f"/reports/1/{action}", {"text": text}, csrf=token)
            if who in (GRID, COMMUNITY, ADMIN):
                assert page.status == 303, (who, action, page.text[:300])
            else:
                assert page.status == 403, (who, action)
                assert await _report_state(bot, 1) == before
        if who in (GRID, COMMUNITY, ADMIN):
            state = await _report_state(bot, 1)
            assert state[0] == "acknowledged" and state[2] == "4栋" and state[3] == 4
    finally:
        await v.close()


async def test_a_resident_cannot_get_a_workbench(server: WebServer, bot: Bot) -> None:
    v = Visitor(server, bot)
    try:
        await v.ask_code(RESIDENT)
        assert await bot.flush() == []
        assert (await v.enter_code(RESIDENT, "000000")).status == 200
        assert (await v.get("/")).status == 303
    finally:
        await v.close()


async def test_a_role_taken_away_in_chat_ends_the_workbench(server: WebServer, bot: Bot) -> None:
    v = await _visitor_as(server, bot, COMMUNITY)
    try:
        assert (await v.get("/stats")).status == 200
        await bot.dm(ADMIN, f"取消角色 {COMMUNITY} 社区")
        assert (await v.get("/stats")).status == 303  # a resident now: no workbench
    finally:
        await v.close()


# -- actions are the chat's handlers ---------------------------------------------------------


async def test_web_actions_tell_the_same_people_and_are_audited(
    server: WebServer, bot: Bot
) -> None:
    await bot.say(RESIDENT, "上报 3栋 楼道飞线充电")
    v = await _visitor_as(server, bot, GRID)
    try:
        page = await v.post("/reports/1/ack", {})
        assert page.status == 303 and page.location == "/reports/1"
        said = await bot.flush()
        assert [s.text for s in to(said, RESIDENT)] == [
            "您上报的隐患 H1（3栋：楼道飞线充电）已由李娜接单，正在处理。"
        ]
        assert to(said, GRID) == []  # the answer to the actor is on the page, not in the chat
        shown = await v.get("/reports/1")
        assert "已接单 H1，请在" in shown.text
        await v.post("/reports/1/resolve", {"text": "已清理"})
        said = await bot.flush()
        assert "已办结。处理说明：已清理" in to(said, RESIDENT)[0].text
        again = await v.post("/reports/1/resolve", {"text": "再办一次"})
        assert again.status == 303
        shown = await v.get("/reports/1")
        assert texts.ALREADY_RESOLVED.format(number="H1") in shown.text
        assert (await _report_state(bot, 1))[3] == 3  # filed, acknowledged, resolved: no more
        async with bot.db.unit_of_work() as uow:
            trail = [
                (r.actor_id is not None, r.detail)
                for r in (await uow.conn.execute(admin_changes.select())).all()
                if r.action == "web"
            ]
        assert trail == [(True, "网页工作台：接单 H1"), (True, "网页工作台：办结 H1 已清理")]
    finally:
        await v.close()


async def test_a_form_without_its_csrf_token_is_refused(server: WebServer, bot: Bot) -> None:
    await bot.say(RESIDENT, "上报 3栋 楼道飞线充电")
    v = await _visitor_as(server, bot, ADMIN)
    before = await _report_state(bot, 1)
    try:
        for token in ("", "0" * 64):
            page = await v.post("/reports/1/ack", {}, csrf=token)
            assert page.status == 403 and "页面已过期或请求来源不明" in page.text
            page = await v.post("/logout", {}, csrf=token)
            assert page.status == 403
        assert await _report_state(bot, 1) == before
        assert await bot.flush() == []
        # another visitor's token is not this session's
        other = Visitor(server, bot)
        try:
            foreign = await other.token()
        finally:
            await other.close()
        assert (await v.post("/reports/1/ack", {}, csrf=foreign)).status == 403
        assert await _report_state(bot, 1) == before
    finally:
        await v.close()


# -- hostile input ----------------------------------------------------------------------------


async def test_html_in_a_report_is_shown_as_text(server: WebServer, bot: Bot) -> None:
    await bot.say(
        RESIDENT, '上报 3栋 楼道堆物<script>alert("x")</script><img src=x onerror=alert(1)>'
    )
    v = await _visitor_as(server, bot, ADMIN)
    try:
        for path in ("/reports", "/reports/1", "/"):
            page = await v.get(path)
            assert page.status == 200
            assert "<script>alert" not in page.text and "<img src=x" not in page.text
            assert "&lt;script&gt;alert(" in page.text
    finally:
        await v.close()


HOSTILE = (
    "status=open' OR '1'='1",
    "grid=-1&building=1栋' --",
    "grid=99999999999999999999",
    "page=0",
    "page=-5",
    "page=99999999999",
    "page=abc",
    "sort=id;DROP TABLE reports&dir=sideways",
    "q=%25%5F%5C",
    "q=" + "长" * 800,  # longer URLs are refused by aiohttp itself (400)
    "month=2026-13",
    "month=9999-99",
    "category=<script>alert(1)</script>",
    "building=%00%01",
    "overdue=yes&urgent[]=1",
)


@pytest.mark.parametrize("query", HOSTILE)
async def test_hostile_filter_values_are_answered_calmly(
    server: WebServer, bot: Bot, query: str
) -> None:
    await bot.say(RESIDENT, "上报 3栋 楼道飞线充电 100%_好")
    v = await _visitor_as(server, bot, ADMIN)
    try:
        page = await v.get("/reports?" + query)
        assert page.status == 200, page.text[:500]
        assert "<script>alert" not in page.text
        stats = await v.get("/stats?" + query.replace("status", "month"))
        assert stats.status == 200
        async with bot.db.unit_of_work() as uow:
            assert await uow.conn.scalar(sa.select(sa.func.count()).select_from(reports)) == 1
    finally:
        await v.close()


async def test_a_search_for_percent_finds_only_the_percent(server: WebServer, bot: Bot) -> None:
    await bot.say(RESIDENT, "上报 3栋 楼道飞线充电 100%")
    await bot.say(RESIDENT, "上报 5栋 楼道堆物")
    v = await _visitor_as(server, bot, ADMIN)
    try:
        page = await v.get("/reports?q=%25")
        assert "共1件" in page.text and "H1" in page.text
        page = await v.get("/reports?building=5栋")
        assert "共1件" in page.text and 'href="/reports/2"' in page.text
    finally:
        await v.close()


async def test_login_never_redirects_off_site(server: WebServer, bot: Bot) -> None:
    v = Visitor(server, bot)
    try:
        await v.ask_code(GRID)
        code = code_sent_to(await bot.flush(), GRID)
        page = await v.post(
            "/login/verify", {"name": GRID, "code": code, "next": "//evil.example/x"}
        )
        assert page.status == 303 and page.location == "/"
    finally:
        await v.close()


async def test_notices_are_paused_and_resumed_from_the_page(server: WebServer, bot: Bot) -> None:
    await bot.dm(ADMIN, "通知 每周五 19:00 消防安全提醒：请不要在楼道给电动车充电！")
    v = await _visitor_as(server, bot, COMMUNITY)
    worker = await _visitor_as(server, bot, GRID)
    try:
        page = await v.get("/notices")
        assert "A1" in page.text and "进行中" in page.text
        assert (await worker.post("/notices/1/pause", {})).status == 403
        assert "进行中" in (await v.get("/notices")).text
        await v.post("/notices/1/pause", {})
        page = await v.get("/notices")
        assert texts.NOTICE_PAUSED.format(number="A1") in page.text and "已暂停" in page.text
        await v.post("/notices/1/resume", {})
        page = await v.get("/notices")
        assert "已恢复通知 A1" in page.text and "进行中" in page.text
        async with bot.db.unit_of_work() as uow:
            details = [c.detail for c in await uow.people.changes(limit=10) if c.action == "web"]
        assert details == ["网页工作台：恢复通知 A1", "网页工作台：暂停通知 A1"]
    finally:
        await v.close()
        await worker.close()


async def test_a_proposal_shows_the_chats_count_and_the_households_to_admins(
    server: WebServer, bot: Bot
) -> None:
    said = await bot.dm(ADMIN, "发起表决 5栋 12月10日 18:00 重大 加装电梯方案")
    assert any("P1" in s.text for s in said), said
    await bot.dm("钱奶奶", "表决 P1 同意")
    community = await _visitor_as(server, bot, COMMUNITY)
    admin = await _visitor_as(server, bot, ADMIN)
    try:
        page = await community.get("/votes")
        assert "P1 5栋" in page.text and "加装电梯方案" in page.text
        assert "各户表决" not in page.text
        page = await admin.get("/votes")
        assert "各户表决" in page.text and "<td>钱奶奶</td>" in page.text
    finally:
        await community.close()
        await admin.close()


async def test_the_stats_page_shows_the_chats_figures(server: WebServer, bot: Bot) -> None:
    await bot.say(RESIDENT, "上报 3栋 楼道飞线充电")
    await bot.say("赵敏", "上报 5栋 楼道堆满了纸箱")
    await bot.dm(GRID, "接单 H1")
    await bot.dm(GRID, "办结 H1 已清理")
    chat = to(await bot.dm(COMMUNITY, "统计"), COMMUNITY)[0].text
    v = await _visitor_as(server, bot, COMMUNITY)
    try:
        page = await v.get("/stats")
        shown = re.search(r"<pre>(.*?)</pre>", page.text, re.S)
        assert shown is not None
        lines = html.unescape(shown.group(1)).splitlines()
        assert len(lines) > 4 and all(line in chat.splitlines() for line in lines)
        assert "<b>50.0%</b>解决率" in page.text and "<b>2</b>受理" in page.text
    finally:
        await v.close()
