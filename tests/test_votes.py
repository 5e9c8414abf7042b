"""Household votes under Civil Code Art. 278, on cases whose answers are known by hand."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

import pytest
from openpyxl import load_workbook

from handlers.votes import Rule, parse_rule, tally
from tests.fakes import Bot, to

BOTH_BACKENDS = True  # this suite runs on SQLite and on PostgreSQL

ORDINARY = Rule(Fraction(2, 3), Fraction(1, 2), strict=True)
MAJOR = Rule(Fraction(2, 3), Fraction(3, 4), strict=False)


def homes(*areas: int) -> list[tuple[int, Fraction]]:
    return [(i, Fraction(a)) for i, a in enumerate(areas, 1)]


def test_exactly_two_thirds_take_part() -> None:
    t = tally(MAJOR, homes(100, 100, 100), {1: "yes", 2: "yes"})
    assert t.participation_ok and t.consent_ok and t.passed  # 2/3 is enough: "at least"
    t = tally(
        MAJOR, homes(100, 100, 100, 100, 100, 100, 100, 100, 100), {i: "yes" for i in range(1, 6)}
    )
    assert not t.participation_ok  # 5/9 < 2/3


def test_exactly_three_quarters_consent_for_major_works() -> None:
    votes = {1: "yes", 2: "yes", 3: "yes", 4: "no"}
    assert tally(MAJOR, homes(80, 80, 80, 80), votes).passed  # exactly 3/4 passes
    votes[3] = "abstain"
    assert not tally(MAJOR, homes(80, 80, 80, 80), votes).passed  # abstaining is not consent


def test_ordinary_matters_need_more_than_half() -> None:
    h = homes(90, 90, 90, 90)
    assert not tally(ORDINARY, h, {1: "yes", 2: "yes", 3: "no", 4: "no"}).consent_ok  # 1/2
    assert tally(ORDINARY, h, {1: "yes", 2: "yes", 3: "yes", 4: "no"}).passed


def test_area_and_head_count_disagreeing() -> None:
    # by head count 3 of 4 agree, but the one who objects owns most of the floor area
    h = homes(50, 50, 50, 250)
    t = tally(MAJOR, h, {1: "yes", 2: "yes", 3: "yes", 4: "no"})
    assert t.participation_ok and not t.consent_ok  # by area 150/400 < 3/4
    # and the other way round: one large household agrees, three small ones object
    t = tally(ORDINARY, h, {1: "no", 2: "no", 3: "no", 4: "yes"})
    assert not t.consent_ok  # by heads 1/4
    # participation by heads reached, by area not
    t = tally(MAJOR, h, {1: "yes", 2: "yes", 3: "yes"})
    assert not t.participation_ok  # 3/4 of households, but 150/400 of the area


def test_a_household_outside_the_scope_is_never_counted() -> None:
    t = tally(MAJOR, homes(100, 100, 100), {1: "yes", 2: "yes", 99: "yes"})
    assert t.voted == 2 and t.yes == 2


def test_custom_rules() -> None:
    assert parse_rule("重大") == ("major", "2/3", "3/4", False)
    assert parse_rule("参与60% 同意过半") == ("custom", "3/5", "1/2", True)
    assert parse_rule("参与2/3 同意3/4") == ("custom", "2/3", "3/4", False)


async def test_a_proposal_for_3栋_with_votes_and_the_result_at_the_deadline(bot: Bot) -> None:
    said = await bot.dm("朱东", "发起表决 3栋 12月10日 18:00 重大 3栋加装电梯")
    assert "范围：3栋（3户，304㎡）" in to(said, "朱东")[0].text
    assert "【表决 P1】" in to(said, "群")[0].text
    assert "已记录您家（3栋2单元501）" in (await bot.dm("王辉", "表决 P1 同意"))[0].text
    assert "从「同意」改为「反对」" in (await bot.dm("王辉", "表决 P1 反对"))[0].text
    await bot.dm("王辉", "表决 P1 同意")
    await bot.dm("赵敏", "表决 P1 同意")
    assert "不在表决 P1 的范围" in (await bot.dm("郭先德", "表决 P1 同意"))[0].text
    assert "还没有登记为住户成员" in (await bot.dm("小赵", "表决 P1 同意"))[0].text
    progress = (await bot.say("何伟", "表决情况 P1"))[0].text
    assert "2/3户参与（面积184/304㎡）" in progress and "王辉" not in progress
    assert await bot.say("何伟", "表决 P1 同意") == []  # votes are private
    said = await bot.tick(timedelta(days=14, hours=9))  # 12-10 18:00
    [result] = [s for s in to(said, "群") if "表决结果" in s.text]
    # 2 of 3 households (2/3: enough), 184/304 of the area (< 2/3): participation fails
    assert "参与：2/3户（66.7%），面积184/304㎡（60.5%）——未达到" in result.text
    assert "结论：未通过" in result.text
    path = bot.adapter.sent[-1].document or ""
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert [r[1:4] for r in rows[1:]] == [
        ("3栋2单元501", 89.0, "同意"),
        ("3栋1单元201", 95.0, "同意"),
    ]
    assert "表决 P1 已结束" in (await bot.dm("何伟", "表决 P1 同意"))[0].text


async def test_proxy_votes_need_the_lead_and_a_note(bot: Bot) -> None:
    await bot.dm("朱东", "发起表决 全小区 12月10日 18:00 普通 小区公共收益公开方式")
    assert "用法" in (await bot.dm("孙阿姨", "代表决 P1 5栋1单元102 同意"))[0].text
    said = await bot.dm("孙阿姨", "代表决 P1 5栋1单元102 同意 老人卧床，电话确认")
    assert "代投，说明：老人卧床，电话确认" in said[0].text
    assert "只有" in (await bot.dm("王辉", "代表决 P1 5栋1单元102 同意 x"))[0].text


async def test_a_residents_proposal_needs_backers(bot: Bot) -> None:
    said = await bot.dm("王辉", "发起表决 3栋 12月10日 18:00 普通 楼道安装扶手")
    assert "需要5位居民附议" in said[0].text
    assert "在征集附议" in (await bot.dm("赵敏", "表决 P1 同意"))[0].text
    for i, name in enumerate(("赵敏", "何伟", "郭先德", "小赵"), 1):
        assert f"（{i}/5）" in (await bot.dm(name, "附议 P1"))[0].text
    assert "已经附议过" in (await bot.dm("赵敏", "附议 P1"))[0].text
    said = await bot.dm("小钱", "附议 P1")
    assert "【表决 P1】楼道安装扶手" in to(said, "群")[0].text


@pytest.mark.parametrize(
    "text",
    [
        "发起表决 火星 12月10日 18:00 重大 x",
        "发起表决 3栋 昨天 18:00 重大 x",
        "发起表决 3栋 12月10日 18:00 随便 x",
        "发起表决 8栋 12月10日 18:00 重大 x",
    ],
)
async def test_bad_proposals(bot: Bot, text: str) -> None:
    said = await bot.dm("朱东", text)
    assert any(w in said[0].text for w in ("范围", "过去", "规则", "没有登记", "用法"))
    async with bot.db.unit_of_work() as uow:
        assert await uow.votes.next_deadline(after=bot.clock.now()) is None


async def test_suggestion_answered_in_chat(bot: Bot) -> None:
    said = await bot.dm("王辉", "建议 东门晚上加装路灯")
    assert "J1" in to(said, "王辉")[0].text and "东门" in to(said, "朱东")[0].text
    said = await bot.dm("朱东", "答复 J1 已报街道，下月安装")
    assert "已报街道" in to(said, "王辉")[0].text
    said = await bot.dm("王辉", "不满意 J1 太慢了")
    assert "太慢了" in to(said, "朱东")[0].text
