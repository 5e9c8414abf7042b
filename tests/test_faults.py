"""Hostile and unlucky input: arbitrary text never crashes a handler or leaks a traceback,
and no privileged command works for a role that must not have it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import build_registry
from handlers import texts
from handlers.clock import ManualClock
from storage import Database
from storage.schema import metadata
from tests.conftest import SHANGHAI
from tests.fakes import Bot, example_config

PEOPLE_BY_ROLE = {  # one person of the demo community holding only that role
    "resident": "王辉",
    "grid_worker": "李娜",
    "neighbor_lead": "孙阿姨",
    "group_lead": "周组长",
    "volunteer": "小林",
    "property": "吴经理",
    "community": "张正芳",
    "canteen": "刘师傅",
}
TELEGRAM_LIMIT = 4096


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[asyncio.AbstractEventLoop, Bot]]:
    """One bot for many generated examples (a fresh one per example would take minutes)."""
    from datetime import datetime

    loop = asyncio.new_event_loop()
    cfg = example_config(Path(tmp_path_factory.mktemp("fuzz")) / "fuzz.db")
    db = Database(cfg.storage.url)
    bot = Bot(cfg, ManualClock(datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)), db)
    loop.run_until_complete(db.migrate())
    loop.run_until_complete(bot.app.start())
    yield loop, bot
    loop.run_until_complete(db.close())
    loop.close()


KEYWORDS = sorted(
    {
        w
        for c in build_registry(
            example_config(Path("x.db")).settings(platforms=("console",))
        ).commands
        for w in c.keywords
    }
    | {
        "/" + c.slash[0]
        for c in build_registry(
            example_config(Path("x.db")).settings(platforms=("console",))
        ).commands
        if c.slash
    }
)

hostile = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=3000),
    st.sampled_from(
        [
            "'; DROP TABLE reports; --",
            "{0.__class__}",
            "%s%s%s%n",
            "{社区}{日期}",
            "\x00\x1b[31m",
            "H" + "9" * 40,
            "E-1",
            "P0",
            "S99999999999999",
        ]
    ),
)


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    keyword=st.sampled_from(KEYWORDS),
    args=hostile,
    private=st.booleans(),
    who=st.sampled_from(["王辉", "李娜", "朱东", "刘师傅", "孙阿姨", "陌生人"]),
)
def test_any_command_with_any_arguments(
    world: tuple[asyncio.AbstractEventLoop, Bot],
    keyword: str,
    args: str,
    private: bool,
    who: str,
) -> None:
    loop, bot = world
    said = loop.run_until_complete(bot.say(who, f"{keyword} {args}", private=private))
    for s in said:
        assert s.text != texts.APOLOGY, f"a handler crashed on {keyword!r} {args!r}"
        assert "Traceback" not in s.text and "Error" not in s.text
        assert len(s.text) <= TELEGRAM_LIMIT


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.one_of(st.text(max_size=5000), st.just("上报 " + "火" * 100_000)))
def test_any_text_at_all(world: tuple[asyncio.AbstractEventLoop, Bot], text: str) -> None:
    loop, bot = world
    said = loop.run_until_complete(bot.say("王辉", text))
    assert all(s.text != texts.APOLOGY for s in said)


async def rows(bot: Bot) -> dict[str, int]:
    """Rows per table, leaving out what any message writes (dedup, answers, new people)."""
    skip = {"inbound", "outbox", "people", "accounts", "claims", "pending_questions", "meta"}
    counts = {}
    async with bot.db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name not in skip:
                counts[table.name] = int(
                    await conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0
                )
    return counts


ARGS = {  # plausible arguments, so that only the role check stands in the way
    "acknowledge": "H1",
    "resolve": "H1 已清理",
    "reassign": "H1 5栋",
    "note": "H1 说明",
    "on_behalf": "郭先德 5栋 楼道堆物",
    "announce": "每天 08:00 测试",
    "announce_slash": "add 每天 08:00 测试",
    "announce_pause": "A1",
    "announce_resume": "A1",
    "announce_delete": "A1",
    "announce_test": "A1",
    "menu_set": "明天 午餐 红烧鱼",
    "meal_status": "明天",
    "meal_export": "明天",
    "event_new": "议事会 12月5日 19:00 活动室",
    "roster": "E1",
    "roster_export": "E1",
    "event_close": "E1",
    "event_cancel": "E1",
    "stats": "",
    "export_reports": "",
    "role_add": "王辉 管理员",
    "role_remove": "李娜 网格员",
    "grid_join": "王辉 第一网格",
    "grid_leave": "李娜 第一网格",
    "building_move": "5栋 第一网格",
    "backup": "第一网格 王辉",
    "backup_clear": "第一网格",
    "leave": "李娜 至 明天",
    "leave_end": "李娜",
    "visit": "5栋1单元102 好",
    "answer": "J1 好",
    "proxy_vote": "P1 5栋1单元102 同意 说明",
    "house_lead": "5栋1单元102 王辉",
    "house_key": "3栋2单元501 留守",
    "house_unkey": "5栋1单元102",
    "leader": "王辉 周组长",
    "dead_letter_replay": "D1",
    "web_login": "",
}


async def test_the_permission_matrix(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 楼道飞线充电")  # H1 exists, so refusals are about roles
    commands = [c for c in bot.app.registry.commands if c.roles is not None]
    assert {c.name for c in commands} <= set(ARGS) | {
        "tickets",
        "who",
        "grids",
        "changes",
        "announce_list",
        "visit_list",
        "dead_letters",
    }
    tried = 0
    for cmd in commands:
        word = cmd.keywords[0] if cmd.keywords else "/" + cmd.slash[0]
        for role, person in PEOPLE_BY_ROLE.items():
            if cmd.roles is None or role in cmd.roles:
                continue
            for private in (False, True):
                before = await rows(bot)
                said = await bot.say(
                    person, f"{word} {ARGS.get(cmd.name, '')}".strip(), private=private
                )
                assert await rows(bot) == before, (cmd.name, person, private)
                answers = [s.text for s in said if s.where in ("群", person)]
                if cmd.private_only and not private:
                    assert answers == [], (cmd.name, person)  # not even recognised in a group
                else:
                    assert answers and "只有" in answers[0], (cmd.name, person, answers)
                tried += 1
    assert tried > 200


async def test_no_room_number_or_phone_in_any_group_message(bot: Bot) -> None:
    await bot.say("王辉", "上报 楼道堆满纸箱")  # his bound address fills in the building
    await bot.say("郭先德", "上报 5栋 楼道里冒烟了")
    await bot.dm("张正芳", "报餐 明天 代 郭先德 送餐")
    await bot.say("王辉", "绑定 3栋2单元501")
    await bot.dm("朱东", "发起活动 议事会 12月5日 19:00 活动室")
    await bot.say("郭先德", "报名 E1")
    await bot.say("王辉", "上报 3栋 楼道又堆满纸箱了")  # his own again: answered in the group
    await bot.say("陈刚", "上报 3栋 楼道堆满纸箱")  # another's: a follower, answered there too
    await bot.say("李娜", "代报 郭先德 5栋 楼道堆物")  # filed for an elder, in the group
    from datetime import timedelta

    await bot.tick(timedelta(days=3))
    group = [d.text for d in bot.adapter.sent if d.is_group]
    assert group
    for address in ("501", "102", "3栋2单元", "5栋1单元"):
        assert not [t for t in group if address in t], address
    assert [t for t in group if "已代报" in t]
    assert not [t for t in group if "郭先德" in t]  # a resident's name, filed for them
