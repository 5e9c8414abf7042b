"""The repositories' named transitions: each happens only from the state it expects, says
whether it happened, and leaves the row as the rules say (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from storage.reports import ACKNOWLEDGED, OPEN, RESOLVED, Report
from storage.uow import UnitOfWork
from tests.fakes import Bot

BOTH_BACKENDS = True


async def _people(uow: UnitOfWork, *names: str) -> list[int]:
    ids = []
    for name in names:
        person = await uow.people.find_by_name(name=name)
        assert person is not None
        ids.append(person.id)
    return ids


async def _file(uow: UnitOfWork, bot: Bot, reporter: int, assignee: int | None) -> Report:
    now = bot.clock.now()
    return await uow.reports.file(
        reporter_id=reporter,
        building="3栋",
        known_building=True,
        unit=None,
        room=None,
        text="楼道飞线充电",
        category="飞线充电",
        urgent=False,
        assignee_id=assignee,
        level=0,
        origin_platform="console",
        origin_chat="c",
        photo=None,
        at=now,
        ack_due=now + timedelta(minutes=30),
    )


async def test_a_report_is_taken_once_and_resolved_once(bot: Bot) -> None:
    now = bot.clock.now()
    later = now + timedelta(hours=1)
    async with bot.db.unit_of_work() as uow:
        resident, lina, chen = await _people(uow, "郭先德", "李娜", "陈刚")
        report = await _file(uow, bot, resident, lina)
        taken = await uow.reports.acknowledge(
            report_id=report.id, by=lina, at=now, resolve_due=later
        )
        assert taken is not None and taken.status == ACKNOWLEDGED
        assert (taken.assignee_id, taken.acknowledged_at, taken.resolve_due) == (lina, now, later)
        # a second 接单 (another worker, a moment later) does not happen
        assert (
            await uow.reports.acknowledge(report_id=report.id, by=chen, at=later, resolve_due=later)
            is None
        )
        # whoever resolves it, the one who took it stays its assignee
        done = await uow.reports.resolve(
            report_id=report.id, by=chen, at=later, note="已清理", recheck_due=None
        )
        assert done is not None and done.status == RESOLVED
        assert (done.assignee_id, done.acknowledged_at, done.resolved_at) == (lina, now, later)
        again = await uow.reports.resolve(
            report_id=report.id, by=lina, at=later, note="又清理", recheck_due=None
        )
        assert again is None
        assert (await uow.reports.get(report_id=report.id)).resolution == "已清理"
        kinds = [e.kind for e in await uow.reports.events(report_id=report.id)]
        assert kinds == ["filed", "acknowledged", "resolved"]


async def test_resolving_an_open_report_takes_it_at_once(bot: Bot) -> None:
    at = bot.clock.now() + timedelta(minutes=5)
    async with bot.db.unit_of_work() as uow:
        resident, chen = await _people(uow, "郭先德", "陈刚")
        report = await _file(uow, bot, resident, None)
        done = await uow.reports.resolve(
            report_id=report.id, by=chen, at=at, note="已清理", recheck_due=None
        )
        assert done is not None
        assert (done.assignee_id, done.acknowledged_at, done.resolved_at) == (chen, at, at)


async def test_only_a_resolved_report_reopens(bot: Bot) -> None:
    now = bot.clock.now()
    due = now + timedelta(hours=24)
    async with bot.db.unit_of_work() as uow:
        resident, lina = await _people(uow, "郭先德", "李娜")
        report = await _file(uow, bot, resident, lina)
        assert (
            await uow.reports.reopen(
                report_id=report.id, by=resident, at=now, reason="还在充电", resolve_due=due
            )
            is None
        )
        await uow.reports.resolve(
            report_id=report.id, by=lina, at=now, note="已清理", recheck_due=due
        )
        back = await uow.reports.reopen(
            report_id=report.id, by=resident, at=now, reason="还在充电", resolve_due=due
        )
        assert back is not None and back.status == ACKNOWLEDGED
        assert (back.resolved_at, back.resolution, back.recheck_due) == (None, None, None)
        assert back.resolve_due == due and back.assignee_id == lina


async def test_an_escalation_seen_stale_does_not_happen(bot: Bot) -> None:
    now = bot.clock.now()
    async with bot.db.unit_of_work() as uow:
        resident, lina, chen = await _people(uow, "郭先德", "李娜", "陈刚")
        seen = await _file(uow, bot, resident, lina)
        for attempt in (1, 2):
            up = await uow.reports.escalate(
                seen=seen,
                level=1,
                assignee_id=lina,
                ack_due=now + timedelta(hours=attempt),
                at=now,
                level_name="社区",
            )
            if attempt == 1:
                assert up is not None and up.level == 1 and up.status == OPEN
            else:  # a second worker read the report before the first escalated it
                assert up is None
        # handed on to a person: open again at its level, wherever it had been escalated
        handed = await uow.reports.reassign(
            report_id=seen.id, to=chen, by=lina, at=now, ack_due=now, who="陈刚"
        )
        assert handed is not None and (handed.assignee_id, handed.level) == (chen, 1)


async def test_an_order_is_taken_done_and_reopened_only_from_its_state(bot: Bot) -> None:
    now = bot.clock.now()
    later = now + timedelta(hours=2)
    async with bot.db.unit_of_work() as uow:
        resident, provider = await _people(uow, "郭先德", "陈刚")
        order = await uow.orders.place(
            service="理发",
            address="5栋1单元102",
            wanted=None,
            requester_id=resident,
            provider_id=provider,
            at=now,
            ack_due=later,
        )
        assert await uow.orders.rate(order_id=order.id, rating="satisfied") is None
        assert await uow.orders.reopen(order_id=order.id) is None
        done = await uow.orders.resolve(order_id=order.id, at=later, note=None)
        assert done is not None and done.acknowledged_at == later  # taken as it was done
        assert await uow.orders.acknowledge(order_id=order.id, at=later) is None
        assert await uow.orders.resolve(order_id=order.id, at=later, note="x") is None
        back = await uow.orders.reopen(order_id=order.id)
        assert back is not None and back.status == ACKNOWLEDGED and back.resolved_at is None


async def test_a_waitlisted_party_is_promoted_once(bot: Bot) -> None:
    now = bot.clock.now()
    async with bot.db.unit_of_work() as uow:
        organiser, first, second = await _people(uow, "王辉", "郭先德", "李娜")
        event = await uow.events.create(
            title="议事会",
            starts_at=now + timedelta(days=3),
            place="党群服务中心",
            capacity=2,
            description=None,
            targets=[],
            created_by=organiser,
            at=now,
        )
        going = await uow.events.join(
            event_id=event.id, person_id=first, guests=1, going=True, at=now
        )
        assert going is not None and going.status == "going"
        # going already: joining again is not a transition (changing the party is)
        assert (
            await uow.events.join(event_id=event.id, person_id=first, guests=0, going=True, at=now)
            is None
        )
        queued = await uow.events.join(
            event_id=event.id, person_id=second, guests=0, going=False, at=now
        )
        assert queued is not None and queued.status == "waitlist"
        promoted = [
            await uow.events.promote_waitlisted(event_id=event.id, person_id=second, at=now)
            for _ in range(2)
        ]
        assert promoted[0] is not None and promoted[1] is None
        # a cancelled event takes no more changes of state
        assert await uow.events.cancel(event_id=event.id)
        assert not await uow.events.cancel(event_id=event.id)
        assert not await uow.events.close(event_id=event.id)
        assert await uow.events.withdraw(event_id=event.id, person_id=first, at=now) is not None
        assert await uow.events.withdraw(event_id=event.id, person_id=first, at=now) is None


async def test_a_notice_paused_meanwhile_is_not_advanced(bot: Bot) -> None:
    now = bot.clock.now()
    async with bot.db.unit_of_work() as uow:
        notice = await uow.notices.add(
            text="注意防火",
            schedule="每天 09:00",
            cron="0 9 * * *",
            run_at=None,
            pin=False,
            rotate=False,
            targets=[],
            next_run_at=now,
            created_by=None,
            at=now,
        )
        assert await uow.notices.pause(notice_id=notice.id)
        assert not await uow.notices.pause(notice_id=notice.id)
        tomorrow = now + timedelta(days=1)
        assert not await uow.notices.advance(notice_id=notice.id, next_run_at=tomorrow, rotation=1)
        assert (await uow.notices.get(notice_id=notice.id)).status == "paused"
        assert await uow.notices.resume(notice_id=notice.id, next_run_at=None)
        assert (await uow.notices.get(notice_id=notice.id)).status == "done"
        assert await uow.notices.delete(notice_id=notice.id)
        assert not await uow.notices.delete(notice_id=notice.id)
