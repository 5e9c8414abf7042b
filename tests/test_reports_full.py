"""接诉即办 in full: understanding, urgency, routing, escalation, duplicates, feedback."""

from __future__ import annotations

from datetime import timedelta

from storage.reports import ACKNOWLEDGED, OPEN, RESOLVED, Report
from tests.fakes import Bot, incoming, to

BOTH_BACKENDS = True  # this suite runs on SQLite and on PostgreSQL


async def report_of(bot: Bot, number: int) -> Report:
    async with bot.db.unit_of_work() as uow:
        return await uow.reports.get(report_id=number)


async def events_of(bot: Bot, number: int) -> list[str]:
    async with bot.db.unit_of_work() as uow:
        return [e.kind for e in await uow.reports.events(report_id=number)]


async def test_building_written_many_ways_and_anywhere(bot: Bot) -> None:
    said = await bot.say("小赵", "上报 三号楼2单元 楼道有人飞线充电")
    assert "3栋" in to(said, "群")[0].text and to(said, "李娜")
    said = await bot.say("小赵", "隐患 消防通道被堵住了，在6#楼下")
    assert "6栋" in to(said, "群")[0].text and to(said, "陈刚")
    report = await report_of(bot, 2)
    assert report.category == "消防通道占用" and report.text == "消防通道被堵住了，在6#楼下"
    said = await bot.say("小赵", "上报 楼道里堆满了纸箱")
    said = await bot.say("小赵", "好像是三号楼吧")
    assert "（3栋：楼道里堆满了纸箱）" in to(said, "群")[0].text
    await bot.say("小赵", "上报 电线老化")
    await bot.say("小赵", "4栋 二楼楼道")
    assert (await report_of(bot, 4)).text == "电线老化 二楼楼道"


async def test_category_routes_to_property_as_well(bot: Bot) -> None:
    said = await bot.say("小赵", "上报 7栋 电梯故障 困人了吗不清楚")
    assert to(said, "陈刚") and to(said, "吴经理")
    assert "电梯故障" in to(said, "吴经理")[0].text
    # told, not asked to take it: only those who may 接单 and 办结 get the buttons
    assert to(said, "吴经理")[0].buttons == () and "抄送您知悉" in to(said, "吴经理")[0].text
    assert "接单 H1" in to(said, "陈刚")[0].buttons


async def test_photo_with_caption_is_forwarded(bot: Bot) -> None:
    await bot.app.handle(
        incoming("王辉", "上报 3栋 楼道堆物", at=bot.clock.now(), attachments=("file-abc",))
    )
    await bot.app.sender.drain()
    alert = next(d for d in bot.adapter.sent if d.chat_id == "李娜")
    assert alert.photo == "file-abc"
    assert (await report_of(bot, 1)).photo == "file-abc"


async def test_bound_address_lets_the_building_be_left_out(bot: Bot) -> None:
    said = await bot.dm("小赵", "绑定 6号楼1单元302")
    assert "6栋1单元302" in said[0].text
    said = await bot.say("小赵", "绑定 3栋2单元501")
    assert to(said, "群")[0].text == "已记录您的住址（详情已私信告诉您）。"
    assert "501" in to(said, "小赵")[0].text
    said = await bot.say("小赵", "上报 楼道堆满纸箱")
    assert "3栋" in to(said, "群")[0].text and to(said, "李娜")
    said = await bot.dm("小赵", "绑定 99栋1单元1")
    assert "没有「99栋」" in said[0].text


async def test_no_building_asks_and_finishes_the_report_on_the_answer(bot: Bot) -> None:
    said = await bot.say("小赵", "上报 楼道飞线充电")
    assert len(said) == 1 and "哪一栋" in said[0].text
    assert await bot.say("小赵", "大家好") == []  # chatter in the group stays ignored
    said = await bot.say("小赵", "三号楼")
    assert "H1" in to(said, "群")[0].text and "楼道飞线充电" in to(said, "李娜")[0].text


async def test_the_building_question_expires(bot: Bot) -> None:
    await bot.dm("小赵", "上报 楼道飞线充电")
    said = await bot.dm("小赵", "不知道")
    assert "没看出是哪一栋" in said[0].text
    said = await bot.tick(timedelta(minutes=11))  # the resident hears it was not filed
    [told] = to(said, "小赵")
    assert "没有说明在哪一栋，已超时未提交" in told.text and "上报 3栋 楼道飞线充电" in told.text
    said = await bot.dm("小赵", "3栋")
    assert len(said) == 1 and "您可以这样说" in said[0].text  # help, not a report
    async with bot.db.unit_of_work() as uow:
        assert await uow.reports.unacknowledged_due(now=bot.clock.now() + timedelta(days=1)) == []


async def test_urgent_deadline_is_five_minutes(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 电箱冒烟了")
    report = await report_of(bot, 1)
    assert report.urgent
    assert report.ack_due == report.created_at + timedelta(minutes=5)


async def test_each_level_is_told_it_is_overdue(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 楼道堆物")
    said = await bot.tick(timedelta(minutes=30))
    assert "超时未接单" in to(said, "张正芳")[0].text and "张正芳" in to(said, "李娜")[0].text
    assert "H1" in (await bot.dm("李娜", "工单"))[0].text  # still hers to do
    assert "H1" in (await bot.dm("张正芳", "工单"))[0].text  # and the community's to chase
    assert "没有待办" in (await bot.dm("朱东", "工单"))[0].text
    said = await bot.tick(timedelta(minutes=30))
    assert "超时未接单" in to(said, "朱东")[0].text and "朱东" in to(said, "张正芳")[0].text
    assert "H1" in (await bot.dm("朱东", "工单"))[0].text
    assert await bot.tick(timedelta(hours=5)) == []  # the top of the chain keeps it
    assert (await events_of(bot, 1)).count("escalated") == 2


async def test_unresolved_report_reminds_then_escalates(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 楼道堆物")
    await bot.dm("李娜", "接单 H1")
    said = await bot.tick(timedelta(hours=24))
    assert "办结超时提醒" in to(said, "李娜")[0].text and not to(said, "张正芳")
    said = await bot.tick(timedelta(hours=4))
    assert "超时未办结" in to(said, "张正芳")[0].text and "张正芳" in to(said, "李娜")[0].text
    assert (await report_of(bot, 1)).status == ACKNOWLEDGED


async def test_someone_trapped_in_a_lift_is_urgent_with_the_lift_rescue_advice(bot: Bot) -> None:
    said = await bot.say("小赵", "上报 3栋 电梯坏了有人被困在里面")
    [answer] = to(said, "群")
    assert answer.text.startswith("⚠️ 有人被困电梯") and "96333" in answer.text
    assert "不要扒门" in answer.text
    for who in ("李娜", "张正芳", "朱东"):  # the grid worker, the community, the branch at once
        assert to(said, who) and "紧急" in to(said, who)[0].text, who
    report = await report_of(bot, 1)
    assert report.urgent and report.ack_due == report.created_at + timedelta(minutes=5)
    # a lift out of order with nobody in it stays an ordinary report
    said = await bot.say("小赵", "上报 4栋 电梯坏了，还好没人被困")
    assert not to(said, "群")[0].text.startswith("⚠️")
    assert not (await report_of(bot, 2)).urgent


async def test_the_reporters_second_report_reaches_the_worker_when_it_says_something_new(
    bot: Bot,
) -> None:
    """Merged into the open report, a reporter's second report of the same kind is never
    swallowed: what it adds is told to the worker and kept in the report's history; the
    same words again are only answered."""
    await bot.say("王辉", "上报 5栋 门口烟感坏了")
    said = await bot.say("王辉", "上报 5栋 一楼消防栓没水")
    [answer] = to(said, "群")
    assert "您已经上报过 H1" in answer.text and "「一楼消防栓没水」已转告处理人" in answer.text
    [alert] = to(said, "陈刚")
    assert alert.text == "【H1 上报人补充】王辉补充：一楼消防栓没水"
    assert "办结 H1" in alert.buttons
    for again in ("上报 5栋 一楼消防栓没水", "上报 5栋，门口烟感坏了！"):  # nothing new
        said = await bot.say("王辉", again)
        assert "请耐心等待" in to(said, "群")[0].text and not to(said, "陈刚")
    assert (await events_of(bot, 1)).count("supplemented") == 1
    said = await bot.dm("陈刚", "H1")
    assert "补充情况（王辉）：一楼消防栓没水" in said[0].text
    # a follower who reports it again with something new adds it too
    await bot.say("小赵", "上报 5栋 消防设施坏了")  # follows H1
    said = await bot.say("小赵", "上报 5栋 三楼灭火器过期了")
    assert "您已经在关注 H1" in to(said, "群")[0].text
    assert to(said, "陈刚")[0].text == "【H1 居民补充】小赵补充：三楼灭火器过期了"
    said = await bot.say("小赵", "上报 5栋 消防设施坏了")  # nothing new
    assert "您已经在关注 H1" in to(said, "群")[0].text and not to(said, "陈刚")
    async with bot.db.unit_of_work() as uow:
        assert len(await uow.reports.active_of_assignee(person_id=4)) == 1  # one report


async def test_duplicate_is_merged_and_the_follower_hears_of_progress(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    said = await bot.say("小赵", "上报 3号楼 一楼有人拉线充电")
    assert "已有人上报 H1" in to(said, "群")[0].text
    assert "共2人反映" in to(said, "李娜")[0].text
    said = await bot.say("王辉", "上报 3栋 又有飞线")
    assert "您已经上报过 H1" in said[0].text
    async with bot.db.unit_of_work() as uow:
        assert len(await uow.reports.active_of_assignee(person_id=3)) == 1
    said = await bot.dm("李娜", "接单 H1")
    assert to(said, "王辉") and to(said, "小赵")
    said = await bot.dm("李娜", "办结 H1 已劝离")
    assert "满意" in to(said, "小赵")[0].text
    # another building or another category is another report
    said = await bot.say("小赵", "上报 4栋 楼道飞线充电")
    assert "H2" in to(said, "群")[0].text


async def test_me_too_and_window(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 楼道堆物")
    said = await bot.say("小赵", "我也遇到 H1")
    assert "已有人上报 H1" in to(said, "群")[0].text
    said = await bot.say("小赵", "我也遇到 H1")
    assert "已经在关注" in said[0].text
    await bot.tick(timedelta(hours=25))
    said = await bot.say("小钱", "上报 3栋 楼道堆物")
    assert "H2" in to(said, "群")[0].text  # outside the 24 h window: a new report


async def test_rating_and_unsatisfied_reopens_to_the_same_worker(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    await bot.dm("李娜", "接单 H1")
    said = await bot.dm("李娜", "办结 H1 已清理")
    assert to(said, "王辉")[0].buttons == ("满意 H1", "基本满意 H1", "不满意 H1")
    said = await bot.dm("王辉", "不满意 3栋晚上又有人充电")
    assert "退回李娜" in to(said, "王辉")[0].text
    assert "3栋晚上又有人充电" in to(said, "李娜")[0].text
    report = await report_of(bot, 1)
    assert report.status == ACKNOWLEDGED and report.resolved_at is None
    await bot.dm("李娜", "办结 H1 已没收充电线")
    said = await bot.dm("王辉", "", action="满意 H1")
    assert "感谢" in said[0].text
    assert (await report_of(bot, 1)).status == RESOLVED
    said = await bot.dm("王辉", "满意")
    assert "没有待评价" in said[0].text
    assert await bot.say("王辉", "满意了吧") == []  # ratings are private: no chatter in groups


async def test_only_the_reporter_or_a_follower_may_rate(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    await bot.dm("李娜", "办结 H1 已清理")
    said = await bot.dm("小赵", "不满意 H1")
    assert "不能评价" in said[0].text
    assert (await report_of(bot, 1)).status == RESOLVED


async def test_recheck_reminder_after_seven_days(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    await bot.dm("李娜", "办结 H1 已清理")
    assert to(await bot.tick(timedelta(days=6)), "李娜") == []  # (朱东 gets the monthly report)
    said = await bot.tick(timedelta(days=1))
    assert "回头看 H1" in to(said, "李娜")[0].text
    assert to(await bot.tick(timedelta(days=7)), "李娜") == []
    await bot.say("王辉", "上报 4栋 楼道堆物")
    await bot.dm("李娜", "办结 H2 已清")
    assert not [s for s in await bot.tick(timedelta(days=8)) if "回头看" in s.text]


async def test_reassign_to_a_building_or_a_person_and_notes(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 楼道堆物")
    said = await bot.dm("李娜", "转派 H1 5栋")
    assert "转派给陈刚" in to(said, "李娜")[0].text and "工单转派 H1" in to(said, "陈刚")[0].text
    assert "陈刚" in to(said, "王辉")[0].text
    report = await report_of(bot, 1)
    assert report.building == "5栋" and report.status == OPEN
    said = await bot.dm("陈刚", "转派 H1 吴经理")
    assert to(said, "吴经理")
    said = await bot.dm("吴经理", "备注 H1 已联系清运，明天上午处理")
    assert "明天上午处理" in to(said, "王辉")[0].text
    said = await bot.dm("吴经理", "转派 H1 王辉")
    assert "不是工作人员" in said[0].text
    said = await bot.dm("吴经理", "转派 H1 火星")
    assert "没有找到「火星」" in said[0].text


async def test_on_behalf_of_a_resident_without_chat(bot: Bot) -> None:
    said = await bot.dm("陈刚", "代报 郭先德 5栋 楼道堆物")
    assert "已为郭先德代报隐患 H1" in to(said, "陈刚")[-1].text
    assert "由陈刚代报" in next(s for s in said if "【隐患上报" in s.text).text
    report = await report_of(bot, 1)
    async with bot.db.unit_of_work() as uow:
        guo = await uow.people.find_by_name(name="郭先德")
    assert guo is not None and report.reporter_id == guo.id
    said = await bot.dm("王辉", "代报 郭先德 5栋 楼道堆物")
    assert "只有" in said[0].text
    said = await bot.dm("陈刚", "代报 不存在的人 5栋 堆物")
    assert "没有找到居民" in said[0].text


async def test_history_for_those_involved_only(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    await bot.dm("李娜", "接单 H1")
    await bot.dm("李娜", "备注 H1 正在联系车主")
    text = (await bot.dm("王辉", "H1"))[0].text
    assert "上报（王辉）" in text and "接单（李娜）" in text and "正在联系车主" in text
    assert "处理中" in (await bot.dm("朱东", "进度 H1"))[0].text
    assert "只有上报人" in (await bot.dm("小赵", "H1"))[0].text
    assert "没有找到工单 H7" in (await bot.dm("王辉", "H7"))[0].text


async def test_history_asked_in_the_group_is_answered_privately(bot: Bot) -> None:
    await bot.dm("王辉", "上报 3栋 楼道飞线充电")  # reported in private
    await bot.dm("李娜", "接单 H1")
    await bot.dm("李娜", "备注 H1 已找502谈话")
    await bot.say("赵敏", "我也遇到 H1")
    for name, text in (("李娜", "H1"), ("王辉", "进度 H1"), ("李娜", "/status H1")):
        said = await bot.say(name, text)
        [group] = to(said, "群")
        assert "已私信您" in group.text
        assert "502" not in group.text and "王辉" not in group.text and "赵敏" not in group.text
        [private] = to(said, name)
        assert "已找502谈话" in private.text and "上报（王辉）" in private.text
    said = await bot.say("李娜", "工单")
    assert "已私信您" in to(said, "群")[0].text and "H1" in to(said, "李娜")[0].text
    for mine in ("我的", "我的上报"):  # as residents also say it
        said = await bot.say("王辉", mine)
        assert "H1" not in to(said, "群")[0].text and "H1" in to(said, "王辉")[0].text


async def test_a_bare_rating_answers_the_resolution_after_a_reopen(bot: Bot) -> None:
    # all in the same instant, as in the console without /tick: order decides, not time
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    await bot.dm("李娜", "接单 H1")
    await bot.dm("李娜", "办结 H1 已清理")
    await bot.dm("王辉", "不满意 还在")
    await bot.dm("李娜", "办结 H1 再次清理")
    said = await bot.dm("王辉", "满意")
    assert "感谢您对 H1（3栋）的评价（满意）" in said[0].text  # named: which one was rated
    assert "没有待评价" in (await bot.dm("王辉", "满意"))[0].text  # once per resolution
    said = await bot.dm("朱东", "统计")
    assert "满意率 100.0%" in said[0].text


async def test_a_reopened_report_gives_its_new_deadline_not_the_old_one(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 楼道堆物")  # Thursday 11-26 09:00: 接单 by 09:30
    await bot.dm("李娜", "接单 H1")
    await bot.tick(timedelta(hours=2))
    await bot.dm("李娜", "办结 H1 已清理")
    said = await bot.dm("王辉", "不满意 还在")
    [alert] = to(said, "李娜")
    assert "请在11月27日 11:00前办结" in alert.text and "09:30" not in alert.text


async def test_overdue_messages_name_the_deadline_and_promise_only_what_exists(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 楼道堆物")
    await bot.dm("李娜", "接单 H1")  # to be resolved by 11-27 09:00
    said = await bot.tick(timedelta(hours=24))
    assert "已超过办结时限（11月27日 09:00）" in to(said, "李娜")[0].text
    assert "4小时后仍未办结将上报社区" in to(said, "李娜")[0].text
    said = await bot.tick(timedelta(hours=4))  # 13:00, the grace ends
    [up] = to(said, "张正芳")
    assert "未在11月27日 09:00前办结" in up.text and "请在11月28日 13:00前办结" in up.text
    said = await bot.tick(timedelta(hours=24))
    assert "4小时后仍未办结将上报党支部" in to(said, "李娜")[0].text
    said = await bot.tick(timedelta(hours=4))  # now at the branch, the top of the chain
    assert "超时未办结" in to(said, "朱东")[0].text
    said = await bot.tick(timedelta(hours=24))
    [reminder] = to(said, "李娜")
    assert "办结超时提醒" in reminder.text and "将上报" not in reminder.text


async def test_an_urgent_report_reaches_each_level_with_its_alert_once(bot: Bot) -> None:
    said = await bot.say("王辉", "上报 3栋 电箱冒烟了")
    said += await bot.tick(timedelta(minutes=5))
    said += await bot.tick(timedelta(minutes=5))
    for person in ("张正芳", "朱东"):
        alerts = [s for s in to(said, person) if "【隐患上报 H1】" in s.text]
        assert len(alerts) == 1, person
    assert any("【超时未接单 H1】紧急上报" in s.text for s in to(said, "张正芳"))  # now theirs


async def test_reassigning_to_oneself_is_refused_and_a_taken_back_ticket_is_said(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 楼道堆物")
    assert "不能把 H1 转派给自己" in (await bot.dm("李娜", "转派 H1 李娜"))[0].text
    assert "不能把 H1 转派给自己" in (await bot.dm("李娜", "转派 H1 3栋"))[0].text
    await bot.say("王辉", "上报 5栋 楼道飞线充电")
    said = await bot.dm("陈刚", "转派 H2 李娜")
    assert "工单转派 H2" in to(said, "李娜")[0].text
    said = await bot.dm("陈刚", "转派 H2 5栋")  # 陈刚 takes it back from 李娜
    [told] = to(said, "李娜")
    assert "H2" in told.text and "已由陈刚转派给陈刚，您不用再处理了" in told.text
    assert "已经由陈刚处理" in (await bot.dm("张正芳", "转派 H2 陈刚"))[0].text


async def test_mine_lists_followed_reports_and_service_orders(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    await bot.say("赵敏", "我也遇到 H1")
    await bot.dm("赵敏", "点单 理发 3栋1单元201 周六上午")
    text = (await bot.dm("赵敏", "我的"))[0].text
    assert "H1 3栋 楼道飞线充电（您关注的） —— 待接单" in text
    assert "您的点单：" in text and "S1 理发" in text
    await bot.dm("李娜", "办结 H1 已清理")
    assert "H1" not in (await bot.dm("赵敏", "我的"))[0].text


async def test_resolving_needs_a_note_for_the_resident(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    said = await bot.dm("李娜", "", action="办结 H1")  # the button
    assert "请写上处理说明" in said[0].text and to(said, "王辉") == []
    assert (await report_of(bot, 1)).status == OPEN
    said = await bot.dm("李娜", "办结 H1 已拆除飞线")
    assert "处理说明：已拆除飞线" in to(said, "王辉")[0].text and "（无）" not in said[0].text


async def test_unsatisfied_without_a_reason_asks_why(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    await bot.dm("李娜", "办结 H1 已清理")
    said = await bot.dm("王辉", "", action="不满意 H1")  # the button
    assert "请直接回复 H1 哪里不满意" in said[0].text and to(said, "李娜") == []
    assert (await report_of(bot, 1)).status == RESOLVED
    said = await bot.dm("王辉", "还有人在充电")  # the answer alone is the reason
    assert "居民王辉对处理结果不满意：还有人在充电" in to(said, "李娜")[0].text
    assert "已退回李娜" in to(said, "王辉")[0].text
    assert (await report_of(bot, 1)).status == ACKNOWLEDGED
    # asked, then rated in full (a change of mind): a later message is no reason
    await bot.dm("李娜", "办结 H1 已再次清理")
    said = await bot.dm("王辉", "不满意")  # the one report waiting for a verdict
    assert "请直接回复 H1 哪里不满意" in said[0].text
    await bot.dm("王辉", "满意 H1")
    said = await bot.dm("王辉", "谢谢")
    assert to(said, "李娜") == [] and (await report_of(bot, 1)).status == RESOLVED
    # a third report, the full form: as before
    await bot.say("王辉", "上报 4栋 楼道飞线充电")
    await bot.dm("李娜", "办结 H2 已清理")
    said = await bot.dm("王辉", "不满意 H2 还有人在充电")
    assert "还有人在充电" in to(said, "李娜")[0].text
    await bot.dm("王辉", "建议 东门加装路灯")
    await bot.dm("朱东", "答复 J1 已报街道")
    assert "请说说哪里不满意" in (await bot.dm("王辉", "不满意 J1"))[0].text


async def test_a_colleague_taking_a_report_tells_whoever_it_was_waiting_on(bot: Bot) -> None:
    await bot.dm("朱东", "加入网格 陈刚 第一网格")  # the grid has two workers now
    said = await bot.say("王辉", "上报 3栋 楼道飞线充电")
    assert to(said, "李娜") and to(said, "陈刚")  # both alerted; it waits on 李娜 first
    said = await bot.dm("陈刚", "接单 H1")
    assert to(said, "李娜")[0].text == "工单 H1（3栋：楼道飞线充电）已由陈刚接单，您不用再处理了。"
    assert "已由陈刚接单" in to(said, "王辉")[0].text
    assert (await report_of(bot, 1)).assignee_id == 4  # 陈刚
    said = await bot.dm("陈刚", "办结 H1 已拆除")  # taking it back and forth tells no one else
    assert to(said, "李娜") == []


async def test_the_number_first_takes_a_report_but_never_resolves_one(bot: Bot) -> None:
    """H1 接单 / H1 满意 are 接单 H1 / 满意 H1 turned around; H1 办结… is not turned around (its
    note would be a guess: "H1 办结了吗" is a question)."""
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    said = await bot.dm("李娜", "H1 接单")
    assert "已接单 H1" in said[0].text
    said = await bot.dm("李娜", "H1 办结了吗")
    assert (await report_of(bot, 1)).status == ACKNOWLEDGED and to(said, "王辉") == []
    await bot.dm("李娜", "办结 H1 已拆除")
    said = await bot.dm("王辉", "H1 满意！")
    assert "感谢您对 H1" in said[0].text
