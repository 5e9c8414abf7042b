"""The workbench's office pages over HTTP: 活动 rosters and cancelling, 人员 edited by admins,
统计's trend charts, a report's photo, and the 登录 link from the private chat — each action
the chat's own command, each page and action refused to who may not, nothing changed then.
The same App and handlers as the chat (tests.fakes.Bot), a real server on 127.0.0.1."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from markupsafe import escape
from pydantic import ValidationError

from bot.config import WebConfig
from bot.web.server import WebServer
from handlers import texts
from handlers.web_login import LINK_OFF, LINK_TOO_MANY
from storage.schema import admin_changes, event_rsvps, events, leaves, person_roles
from tests.fakes import Bot, to
from tests.web_support import Visitor, code_sent_to, link_sent_to, workbench

GRID = "李娜"  # grid worker, 第一网格
OTHER_GRID = "陈刚"  # grid worker, 第二网格
COMMUNITY = "张正芳"
ADMIN = "朱东"  # branch and admin
CANTEEN = "刘师傅"
RESIDENT = "王辉"
# the clock fixture starts on Thursday 2026-11-26 09:00 in Shanghai
COUNCIL = "发起活动 议事会 12月5日 19:00 党群服务中心 限3人 讨论加装电梯"
WALK = "发起活动 消防巡查 12月6日 09:00 3栋楼下 限10人"


@pytest.fixture
async def server(bot: Bot) -> AsyncIterator[WebServer]:
    async with workbench(bot) as s:
        yield s


async def _as(server: WebServer, bot: Bot, name: str | None) -> Visitor:
    v = Visitor(server, bot)
    if name is not None:
        await v.login(name)
    return v


async def _snapshot(bot: Bot) -> tuple[object, ...]:
    """Everything the new actions could change: events, RSVPs, roles, leaves, audit."""
    async with bot.db.unit_of_work() as uow:
        c = uow.conn
        return (
            (await c.execute(sa.select(events.c.id, events.c.status).order_by(events.c.id))).all(),
            (await c.execute(sa.select(event_rsvps).order_by(event_rsvps.c.id))).all(),
            (await c.execute(sa.select(person_roles).order_by(*person_roles.c))).all(),
            (await c.execute(sa.select(leaves))).all(),
            await c.scalar(sa.select(sa.func.count()).select_from(admin_changes)),
        )


async def _web_trail(bot: Bot) -> list[str]:
    async with bot.db.unit_of_work() as uow:
        rows = (await uow.conn.execute(admin_changes.select().order_by(admin_changes.c.id))).all()
    return [r.detail for r in rows if r.action == "web"]


async def _events(bot: Bot) -> None:
    """E1 by the admin (full: 王辉 +1 going, 郭先德 +1 waiting), E2 by 李娜 (小赵 going)."""
    await bot.dm(ADMIN, COUNCIL)
    await bot.dm(GRID, WALK)
    await bot.say(RESIDENT, "报名 E1 +1")
    await bot.say("郭先德", "报名 E1 +1")
    await bot.say("小赵", "报名 E2")
    await bot.flush()


def _section(page: str, event_id: int) -> str:
    m = re.search(
        rf'<section class="card event \w+" id="event-{event_id}">(.*?)</section>', page, re.S
    )
    assert m, f"no section for E{event_id}"
    return m.group(1)


# -- 活动 --------------------------------------------------------------------------------------


async def test_each_roster_is_shown_to_whom_the_chat_shows_it(server: WebServer, bot: Bot) -> None:
    await _events(bot)
    community = await _as(server, bot, COMMUNITY)
    worker = await _as(server, bot, GRID)
    try:
        page = (await community.get("/events")).text
        e1 = _section(page, 1)
        # places, as the chat counts them: 王辉 and a guest going, 郭先德 and a guest waiting
        assert "已报名2人（限3人），候补2人" in e1
        assert re.search(r'<ol class="going"><li>王辉 \+1</li></ol>', e1)
        assert re.search(r'<ol class="waiting"><li>郭先德 \+1</li></ol>', e1)
        assert "小赵" in _section(page, 2)
        # a grid worker: the roster of her own event, only the numbers of the admin's
        page = (await worker.get("/events")).text
        e1, e2 = _section(page, 1), _section(page, 2)
        assert "已报名2人（限3人）" in e1 and "王辉" not in e1 and "郭先德" not in e1
        assert "/events/1/" not in e1  # and no buttons for it
        assert "名单只有发起人" in e1
        assert "小赵" in e2 and 'action="/events/2/close"' in e2
    finally:
        await community.close()
        await worker.close()


async def test_an_event_is_closed_and_cancelled_from_the_page_as_in_chat(
    server: WebServer, bot: Bot
) -> None:
    await _events(bot)
    v = await _as(server, bot, COMMUNITY)
    try:
        page = await v.post("/events/1/close", {})
        assert page.status == 303 and page.location == "/events"
        shown = (await v.get("/events")).text
        assert texts.EVENT_CLOSED.format(number="E1") in shown
        assert "报名已截止" in _section(shown, 1)
        assert await bot.flush() == []  # closing tells no one, in chat neither
        refused = await bot.say("小赵", "报名 E1")
        assert "不能报名" in refused[0].text
        # cancelling asks to be confirmed: without the box ticked nothing happens
        before = await _snapshot(bot)
        page = await v.post("/events/1/cancel", {})
        assert page.status == 303
        assert "请先勾选确认" in (await v.get("/events")).text
        assert await _snapshot(bot) == before and await bot.flush() == []
        await v.post("/events/1/cancel", {"confirm": "1"})
        said = await bot.flush()
        [notice] = [s.text for s in to(said, RESIDENT)]
        assert notice.startswith("很抱歉，活动「议事会」（E1，")
        assert [s.text for s in to(said, "郭先德")] == [notice]  # the waitlist too
        assert len(to(said, "群")) == 1 and "议事会" in to(said, "群")[0].text
        assert to(said, COMMUNITY) == []  # her answer is on the page
        shown = (await v.get("/events")).text
        assert texts.EVENT_CANCELLED.format(number="E1") in shown
        assert "已取消" in _section(shown, 1) and "/events/1/cancel" not in shown
        assert await _web_trail(bot) == ["网页工作台：关闭活动 E1", "网页工作台：取消活动 E1"]
    finally:
        await v.close()


async def test_the_handler_refuses_an_event_that_is_not_theirs(server: WebServer, bot: Bot) -> None:
    await _events(bot)
    v = await _as(server, bot, OTHER_GRID)  # a grid worker, not E1's organiser
    before = await _snapshot(bot)
    try:
        for action, form, what in (
            ("close", {}, "关闭 E1 的报名"),
            ("cancel", {"confirm": "1"}, "取消 E1"),
        ):
            page = await v.post(f"/events/1/{action}", form)
            assert page.status == 303
            assert texts.NOT_ORGANISER.format(action=what) in (await v.get("/events")).text
        assert await _snapshot(bot) == before
        assert await bot.flush() == []
    finally:
        await v.close()


# -- 人员 --------------------------------------------------------------------------------------


async def test_an_admin_edits_roles_grids_and_leaves_through_the_chats_commands(
    server: WebServer, bot: Bot
) -> None:
    v = await _as(server, bot, ADMIN)
    try:
        page = await v.get("/people")
        assert page.status == 200 and 'action="/people/role"' in page.text
        await v.post("/people/role", {"name": RESIDENT, "op": "add", "value": "volunteer"})
        assert texts.ROLE_ADDED.format(name=RESIDENT, role="志愿者") in (await v.get("/")).text
        await v.post("/people/grid", {"name": OTHER_GRID, "op": "add", "value": "第一网格"})
        await v.post("/people/leave", {"name": GRID, "op": "add", "value": "2026-12-08"})
        shown = (await v.get("/people")).text
        assert texts.LEAVE_DONE.format(name=GRID, until="12月8日（周二）") in shown
        assert "至 12月8日" in shown
        async with bot.db.unit_of_work() as uow:
            wanghui = await uow.people.find_by_name(name=RESIDENT)
            lina = await uow.people.find_by_name(name=GRID)
            grid = await uow.people.grid_named(name="第一网格")
            assert wanghui is not None and lina is not None and grid is not None
            assert "volunteer" in wanghui.roles
            workers = [w.name for w in await uow.people.workers_of_grid(grid_id=grid.id)]
            assert OTHER_GRID in workers
            assert await uow.people.away_until(person_id=lina.id, today=date(2026, 11, 26)) == date(
                2026, 12, 8
            )
        await v.post("/people/leave", {"name": GRID, "op": "end"})
        await v.post("/people/grid", {"name": OTHER_GRID, "op": "remove", "value": "第一网格"})
        await v.post("/people/role", {"name": RESIDENT, "op": "remove", "value": "volunteer"})
        # the chat's own audit rows, and each as done from the web, by whom
        async with bot.db.unit_of_work() as uow:
            rows = (
                await uow.conn.execute(admin_changes.select().order_by(admin_changes.c.id))
            ).all()
            admin = await uow.people.find_by_name(name=ADMIN)
        assert admin is not None
        done = [(r.action, r.detail) for r in rows if r.action not in ("web", "web_login")]
        assert done[-6:] == [
            ("role_added", "王辉 成为志愿者"),
            ("grid_worker_added", "陈刚 加入第一网格"),
            ("leave", "李娜 请假至12月8日"),
            ("leave_ended", "李娜 销假"),
            ("grid_worker_removed", "陈刚 移出第一网格"),
            ("role_removed", "王辉 不再是志愿者"),
        ]
        assert await _web_trail(bot) == [
            "网页工作台：设置角色 王辉 志愿者",
            "网页工作台：加入网格 陈刚 第一网格",
            "网页工作台：请假 李娜 至 2026-12-08",
            "网页工作台：销假 李娜",
            "网页工作台：移出网格 陈刚 第一网格",
            "网页工作台：取消角色 王辉 志愿者",
        ]
        assert all(r.actor_id == admin.id for r in rows if r.action == "web")
        assert await bot.flush() == []  # the admin's answers are on the page
    finally:
        await v.close()


async def test_a_role_taken_away_on_the_page_ends_that_workbench(
    server: WebServer, bot: Bot
) -> None:
    admin = await _as(server, bot, ADMIN)
    community = await _as(server, bot, COMMUNITY)
    try:
        assert (await community.get("/stats")).status == 200
        await admin.post("/people/role", {"name": COMMUNITY, "op": "remove", "value": "community"})
        assert (await community.get("/stats")).status == 303
        # the handler's own refusal: an admin cannot take away their own admin role
        await admin.post("/people/role", {"name": ADMIN, "op": "remove", "value": "admin"})
        assert texts.ROLE_SELF in (await admin.get("/people")).text
        assert (await admin.get("/people")).status == 200
    finally:
        await admin.close()
        await community.close()


HOSTILE_EDITS = (
    ("/people/role", {"name": "李娜 管理员", "op": "add", "value": "admin"}),  # a second word
    ("/people/role", {"name": RESIDENT, "op": "add", "value": "admin'--"}),
    ("/people/role", {"name": RESIDENT, "op": "add", "value": "resident"}),
    ("/people/role", {"name": RESIDENT, "op": "grant", "value": "admin"}),
    ("/people/role", {"name": "", "op": "add", "value": "admin"}),
    ("/people/role", {"name": "王" * 200, "op": "add", "value": "admin"}),
    ("/people/grid", {"name": OTHER_GRID, "op": "add", "value": "第一网格 李娜"}),
    ("/people/leave", {"name": GRID, "op": "add", "value": "明天 至 后天"}),
    ("/people/leave", {"name": GRID, "op": "add", "value": ""}),
    ("/people/role", {"name": "<script>alert(1)</script>", "op": "add", "value": "admin"}),
    ("/people/role", {"name": "李娜\n管理员", "op": "add", "value": "admin"}),
)


@pytest.mark.parametrize(("path", "form"), HOSTILE_EDITS)
async def test_hostile_edits_change_nothing(
    server: WebServer, bot: Bot, path: str, form: dict[str, str]
) -> None:
    v = await _as(server, bot, ADMIN)
    try:
        before = await _snapshot(bot)
        page = await v.post(path, form)
        assert page.status == 303 and page.location == "/people"
        shown = await v.get("/people")
        assert shown.status == 200
        assert "<script>alert" not in shown.text
        assert await _snapshot(bot) == before
    finally:
        await v.close()


# -- who may see and do what ---------------------------------------------------------------

ACTIONS: tuple[tuple[str, dict[str, str]], ...] = (
    ("/events/1/close", {}),
    ("/events/1/cancel", {"confirm": "1"}),
    ("/people/role", {"name": RESIDENT, "op": "add", "value": "admin"}),
    ("/people/grid", {"name": RESIDENT, "op": "add", "value": "第一网格"}),
    ("/people/leave", {"name": GRID, "op": "add", "value": "2026-12-08"}),
)


PAGES = {  # who may open each new page (the rest: 403; no one: the login page)
    "/events": {GRID, OTHER_GRID, COMMUNITY, ADMIN},
    "/people": {ADMIN},
    "/stats": {COMMUNITY, ADMIN},
    "/reports/1/photo": {GRID, COMMUNITY, ADMIN},  # who may see H1 (in 李娜's grid)
}


@pytest.mark.parametrize("who", [None, GRID, OTHER_GRID, COMMUNITY, CANTEEN, ADMIN])
async def test_every_new_page_and_action_by_every_role(
    server: WebServer, bot: Bot, who: str | None
) -> None:
    await _events(bot)
    await bot.say(RESIDENT, "上报 3栋 楼道飞线充电", attachments=("photo-1-1",))
    v = await _as(server, bot, who)
    try:
        for path, allowed in PAGES.items():
            page = await v.get(path)
            if who is None:
                assert page.status == 303 and (page.location or "").startswith("/login?next=")
            elif who not in allowed:
                assert page.status == 403 and "您的角色不能查看或操作此页面" in page.text
            elif path.endswith("/photo"):
                assert page.status == 404  # a console photo has no bytes to show
            else:
                assert page.status == 200, (who, path)
        token = (await v.get("/login")).csrf if who is None else await v.token()
        before = await _snapshot(bot)
        for path, form in ACTIONS:
            may = who == ADMIN or (
                path.startswith("/events") and who in (GRID, OTHER_GRID, COMMUNITY)
            )
            if may:
                continue  # admins and organisers reach the handler (the tests above)
            page = await v.post(path, form, csrf=token)
            assert page.status == 403, (who, path)
            assert "您的角色不能查看或操作此页面" in page.text
        assert await _snapshot(bot) == before
        assert await bot.flush() == []
        if who == ADMIN:
            page = await v.post("/people/role", {"name": RESIDENT, "op": "add", "value": "admin"})
            assert page.status == 303 and await _snapshot(bot) != before
    finally:
        await v.close()


async def test_new_forms_without_their_csrf_token_are_refused(server: WebServer, bot: Bot) -> None:
    await _events(bot)
    v = await _as(server, bot, ADMIN)
    link = link_sent_to(await bot.dm(GRID, "登录"), GRID)
    try:
        before = await _snapshot(bot)
        for path, form in (*ACTIONS, ("/login/link", {"t": link.split("t=")[1]})):
            for token in ("", "0" * 64):
                page = await v.post(path, form, csrf=token)
                assert page.status == 403 and "页面已过期或请求来源不明" in page.text, path
        assert await _snapshot(bot) == before
        assert await bot.flush() == []
        # the link was not used up by the refused form
        fresh = Visitor(server, bot)
        try:
            assert (await fresh.follow_link(link)).location == "/"
        finally:
            await fresh.close()
    finally:
        await v.close()


# -- 统计 --------------------------------------------------------------------------------------


async def test_the_trend_charts_are_drawn_from_the_chats_figures(
    server: WebServer, bot: Bot
) -> None:
    await bot.say(RESIDENT, "上报 3栋 楼道飞线充电")
    await bot.say("赵敏", "上报 5栋 楼道堆满了纸箱")
    await bot.dm(GRID, "接单 H1")
    await bot.dm(GRID, "办结 H1 已清理")
    bot.clock.advance(timedelta(days=10))  # into December
    await bot.say("赵敏", "上报 5栋 消防通道被堵<b>住</b>了")
    await bot.flush()
    november = to(await bot.dm(COMMUNITY, "统计 2026-11"), COMMUNITY)[0].text
    december = to(await bot.dm(COMMUNITY, "统计"), COMMUNITY)[0].text
    assert "受理2件，办结1件" in november and "受理1件，办结0件" in december
    v = await _as(server, bot, COMMUNITY)
    try:
        page = (await v.get("/stats")).text
        assert "<script" not in page and "app.js" not in page
        assert page.count("<svg ") == 3
        # the counts chart: one bar per figure, titled with it, as chat 统计 has them
        assert "<title>11月 受理 2</title>" in page and "<title>11月 办结 1</title>" in page
        assert "<title>12月 受理 1</title>" in page and "<title>12月 办结 0</title>" in page
        assert "<title>10月 受理 0</title>" in page
        # the rates chart: a point where there is a rate (November: 1 of 2 resolved)
        assert "<title>解决率 50.0%</title>" in page and "<title>解决率 0.0%</title>" in page
        rows = re.findall(r"<tr><td><a href=\"/stats\?month=([\d-]+)\">.*?</tr>", page)
        assert rows == ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]
        assert re.search(r"2026-11</a></td><td>2</td><td>1</td><td>[^<]*</td><td>50.0%</td>", page)
        # the month asked for leads the trend that ends in it
        earlier = (await v.get("/stats?month=2026-11")).text
        assert re.findall(r"<tr><td><a href=\"/stats\?month=([\d-]+)\"", earlier)[-1] == "2026-11"
    finally:
        await v.close()


# -- a report's photo ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attachment", "said"),
    [("photo-1-1", "演示控制台中的照片"), ("wechat-image:4711", "居民在微信中附了照片")],
)
async def test_a_photo_without_its_bytes_is_said_so(
    server: WebServer, bot: Bot, attachment: str, said: str
) -> None:
    await bot.say(RESIDENT, "上报 3栋 楼道飞线充电", attachments=(attachment,))
    v = await _as(server, bot, GRID)
    try:
        page = await v.get("/reports/1")
        assert said in page.text and "<img" not in page.text
        assert (await v.get("/reports/1/photo")).status == 404
    finally:
        await v.close()


# -- 登录 in private chat ----------------------------------------------------------------------


async def test_a_login_link_from_the_private_chat_logs_in_once(server: WebServer, bot: Bot) -> None:
    said = await bot.dm(GRID, "登录")
    [answer] = to(said, GRID)
    assert "5分钟内有效，只能使用一次" in answer.text
    link = link_sent_to(said, GRID)
    assert link.startswith(server.url + "/login/link?t=")
    v = Visitor(server, bot)
    other = Visitor(server, bot)
    try:
        opened = await v.get(link.removeprefix(server.url))
        assert opened.status == 200 and "登录工作台" in opened.text
        assert (await v.get("/")).status == 303  # opening the link alone logs no one in
        assert (await other.get(link.removeprefix(server.url))).status == 200  # a preview
        page = await v.follow_link(link)
        assert page.status == 303 and page.location == "/"
        today = await v.get("/")
        assert today.status == 200 and GRID in today.text
        async with bot.db.unit_of_work() as uow:
            rows = (await uow.conn.execute(admin_changes.select())).all()
        assert [(r.action, r.detail) for r in rows][-1] == (
            "web_login",
            "网页工作台登录（私聊中的登录链接）",
        )
        # the same link again, from another browser: refused
        page = await other.follow_link(link)
        assert page.status == 303 and page.location == "/login"
        assert "登录链接无效、已过期或已使用" in (await other.get("/login")).text
        assert (await other.get("/")).status == 303
    finally:
        await v.close()
        await other.close()


async def test_an_expired_or_guessed_link_is_refused(server: WebServer, bot: Bot) -> None:
    v = Visitor(server, bot)
    try:
        link = link_sent_to(await bot.dm(GRID, "登录"), GRID)
        bot.clock.advance(timedelta(minutes=5, seconds=1))
        assert (await v.follow_link(link)).location == "/login"
        link = link_sent_to(await bot.dm(GRID, "登录"), GRID)
        pid, token = link.split("t=")[1].split(".")
        changed = token[:-1] + ("y" if token.endswith("x") else "x")
        for guess in (f"{pid}.{changed}", f"{pid}.{'A' * len(token)}", "x.y", "", "9999999.a"):
            page = await v.post("/login/link", {"t": guess})
            assert page.location == "/login", guess
        for _ in range(3):
            await v.post("/login/link", {"t": f"{pid}.wrong"})
        # five wrong guesses at it: the right link is dead too
        assert (await v.follow_link(link)).location == "/login"
        assert (await v.get("/")).status == 303
        # a page code is no link, even for its own person
        await v.ask_code(GRID)
        code = code_sent_to(await bot.flush(), GRID)
        assert (await v.post("/login/link", {"t": f"{pid}.{code}"})).location == "/login"
        assert (await v.enter_code(GRID, code)).location == "/"  # the code itself still works
    finally:
        await v.close()


async def test_links_and_codes_share_one_rate_limit(server: WebServer, bot: Bot) -> None:
    v = Visitor(server, bot)
    try:
        await v.ask_code(GRID)
        code_sent_to(await bot.flush(), GRID)
        for _ in range(2):
            link_sent_to(await bot.dm(GRID, "登录"), GRID)
        said = await bot.dm(GRID, "登录")
        assert [s.text for s in to(said, GRID)] == [LINK_TOO_MANY]
        await v.ask_code(GRID)
        assert to(await bot.flush(), GRID) == []  # the page's fourth within 15 minutes neither
        bot.clock.advance(timedelta(minutes=16))
        link_sent_to(await bot.dm(GRID, "登录"), GRID)
    finally:
        await v.close()


async def test_login_is_refused_in_a_group_and_to_residents(server: WebServer, bot: Bot) -> None:
    said = await bot.say(GRID, "登录")
    assert [(s.where, s.text) for s in said] == [("群", texts.PRIVATE_ONLY.format(command="登录"))]
    said = await bot.say(GRID, "/login")
    assert [s.where for s in said] == ["群"] and "请私聊" in said[0].text
    assert await bot.say(RESIDENT, "登录") == []  # not theirs: the group hears nothing
    said = await bot.dm(RESIDENT, "登录")
    assert "login/link" not in said[0].text and "只有" in said[0].text
    async with bot.db.unit_of_work() as uow:
        assert await uow.conn.scalar(sa.text("select count(*) from web_login_codes")) == 0


async def test_login_says_when_the_workbench_is_not_served(bot: Bot) -> None:
    said = await bot.dm(GRID, "登录")
    assert [s.text for s in to(said, GRID)] == [LINK_OFF]
    async with workbench(bot) as server:
        assert link_sent_to(await bot.dm(GRID, "登录"), GRID).startswith(server.url)
    assert [s.text for s in to(await bot.dm(GRID, "登录"), GRID)] == [LINK_OFF]


async def test_a_tampered_link_page_shows_its_token_as_text(server: WebServer, bot: Bot) -> None:
    v = Visitor(server, bot)
    try:
        page = await v.get('/login/link?t="><script>alert(1)</script>')
        assert page.status == 200 and "<script>alert" not in page.text
        assert str(escape('"><script>')) in page.text  # Jinja's escaping, as text
    finally:
        await v.close()


async def test_a_login_link_points_at_the_configured_public_address(bot: Bot) -> None:
    cfg = WebConfig(port=0, secret="test-secret", public_url="https://gzt.example.org/")
    async with WebServer(bot.app, cfg):
        said = await bot.dm(GRID, "登录")
    assert link_sent_to(said, GRID).startswith("https://gzt.example.org/login/link?t=")
    with pytest.raises(ValidationError):
        WebConfig(public_url="gzt.example.org")  # not an address a phone can open
