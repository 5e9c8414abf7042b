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
    said = await bot.say("何伟", "表决 P1 同意")  # votes are private: nothing is recorded
    assert "「表决」请私聊我发送" in said[0].text
    said = await bot.tick(timedelta(days=14, hours=9))  # 12-10 18:00
    [result] = [s for s in to(said, "群") if "表决结果" in s.text]
    # 2 of 3 households (2/3: enough), 184/304 of the area (< 2/3): participation fails
    assert "参与：2/3户（66.7%），面积184/304㎡（60.5%）——未达到" in result.text
    assert "结论：未通过" in result.text
    path = [d.document for d in bot.adapter.sent if d.document][-1]  # sent in any order
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert [(*r[1:4], r[8]) for r in rows[1:]] == [  # every vote cast, the counted last
        ("3栋2单元501", 89.0, "同意", "已被后来的表决替换"),
        ("3栋2单元501", 89.0, "反对", "已被后来的表决替换"),
        ("3栋2单元501", 89.0, "同意", "计入"),
        ("3栋1单元201", 95.0, "同意", "计入"),
    ]
    assert "表决 P1 已结束" in (await bot.dm("何伟", "表决 P1 同意"))[0].text


async def test_proxy_votes_need_the_lead_and_a_note(bot: Bot) -> None:
    await bot.dm("朱东", "发起表决 全小区 12月10日 18:00 普通 小区公共收益公开方式")
    assert "用法" in (await bot.dm("孙阿姨", "代表决 P1 5栋1单元102 同意"))[0].text
    said = await bot.dm("孙阿姨", "代表决 P1 5栋1单元102 同意 老人卧床，电话确认")
    assert "代投，说明：老人卧床，电话确认" in said[0].text
    assert "只有" in (await bot.dm("王辉", "代表决 P1 5栋1单元102 同意 x"))[0].text


async def test_a_residents_proposal_needs_backers(bot: Bot) -> None:
    said = await bot.dm("王辉", "发起表决 全小区 12月10日 18:00 普通 楼道安装扶手")
    assert "需要4位居民附议" in said[0].text  # every other registered resident, being < 5
    assert "在征集附议" in (await bot.dm("赵敏", "表决 P1 同意"))[0].text
    assert "只有全小区登记的住户成员可以附议" in (await bot.dm("小赵", "附议 P1"))[0].text
    for i, name in enumerate(("赵敏", "何伟", "郭先德"), 1):
        assert f"（{i}/4）" in (await bot.dm(name, "附议 P1"))[0].text
    assert "已经附议过" in (await bot.dm("赵敏", "附议 P1"))[0].text
    said = await bot.dm("钱奶奶", "附议 P1")
    assert "【表决 P1】楼道安装扶手" in to(said, "群")[0].text
    assert "已发起表决 P1" in to(said, "王辉")[0].text  # the proposer hears it opened
    [backer] = to(said, "钱奶奶")
    assert "（4/4），附议人数已够，表决已开始" in backer.text and "已发起" not in backer.text
    said = await bot.dm("郭先德", "附议 P1")
    assert "表决 P1 进行中，不再征集附议" in said[0].text and "投票" not in said[0].text


async def test_a_small_scope_needs_its_own_residents_only(bot: Bot) -> None:
    said = await bot.dm("王辉", "发起表决 3栋 12月10日 18:00 普通 楼道安装扶手")
    assert "需要2位居民附议" in said[0].text
    assert "只有3栋登记的住户成员可以附议" in (await bot.dm("郭先德", "附议 P1"))[0].text


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


async def test_a_proxy_never_overrides_a_households_own_vote(bot: Bot) -> None:
    await bot.dm("朱东", "发起表决 3栋 12月10日 18:00 重大 加装电梯方案")
    await bot.dm("王辉", "表决 P1 同意")
    await bot.dm("赵敏", "表决 P1 同意")
    await bot.dm("何伟", "表决 P1 反对")
    said = await bot.dm("孙阿姨", "代表决 P1 3栋2单元302 同意 电话确认")
    assert "已经自己表决过 P1，不能再代为表决" in to(said, "孙阿姨")[0].text
    assert to(said, "何伟") == []
    said = await bot.dm("孙阿姨", "代表决 P1 3栋2单元302 弃权 电话确认")
    assert "不能再代为表决" in said[0].text
    said = await bot.tick(timedelta(days=14, hours=9))
    [result] = [s for s in to(said, "群") if "表决结果" in s.text]
    assert "同意：2/3户（66.7%），面积184/304㎡（60.5%）——未达到" in result.text
    assert "结论：未通过" in result.text


async def test_a_households_own_vote_replaces_a_proxy_and_both_are_told(bot: Bot) -> None:
    await bot.dm("朱东", "发起表决 3栋 12月10日 18:00 重大 加装电梯方案")
    said = await bot.dm("孙阿姨", "代表决 P1 3栋2单元302 同意 电话确认")
    assert "已代3栋2单元302表决 P1：同意" in to(said, "孙阿姨")[0].text
    assert "孙阿姨已代您家（3栋2单元302）表决 P1：同意" in to(said, "何伟")[0].text
    said = await bot.dm("孙阿姨", "代表决 P1 3栋2单元302 弃权 再次电话确认")
    assert "从「同意」改为「弃权」" in to(said, "孙阿姨")[0].text  # the lead corrects her proxy
    said = await bot.dm("何伟", "表决 P1 反对")
    assert "孙阿姨此前代您家投的「弃权」已作废" in to(said, "何伟")[0].text
    [lead] = to(said, "孙阿姨")
    assert "您此前的代投已作废" in lead.text and "反对" not in lead.text  # secret ballot
    assert "不能再代为表决" in (await bot.dm("孙阿姨", "代表决 P1 3栋2单元302 同意 x"))[0].text
    await bot.tick(timedelta(days=14, hours=9))
    path = [d.document for d in bot.adapter.sent if d.document][-1]  # sent in any order
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows[0][-1] == "是否计入"
    assert [(r[1], r[3], r[4], r[5], r[8]) for r in rows[1:]] == [
        ("3栋2单元302", "同意", "孙阿姨", "是", "已被后来的表决替换"),
        ("3栋2单元302", "弃权", "孙阿姨", "是", "已被后来的表决替换"),
        ("3栋2单元302", "反对", "何伟", None, "计入"),
    ]


async def test_the_same_vote_again_is_not_a_change(bot: Bot) -> None:
    await bot.dm("朱东", "发起表决 3栋 12月10日 18:00 重大 加装电梯方案")
    await bot.dm("王辉", "表决 P1 同意")
    said = await bot.dm("王辉", "表决 P1 同意")
    assert "仍是「同意」，没有变化" in said[0].text and "改为" not in said[0].text
    async with bot.db.unit_of_work() as uow:
        assert len(await uow.votes.history(proposal_id=1)) == 1  # nothing new to keep
