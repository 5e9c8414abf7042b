"""我的信息 / 删除我的信息: residents see, and may delete, what the bot keeps about them."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from handlers import texts
from handlers.context import Context, UserError
from handlers.feature import Due, Feature
from handlers.registry import Command

OUTBOX_KEEP_DAYS = 7
RETENTION_AT = time(3, 0)  # local: the nightly look at what has grown old
STAFF_ROLES = tuple(role for role in texts.ROLE_NAMES if role != "resident")


async def my_data(ctx: Context, args: str) -> None:
    """我的信息: everything kept about the sender."""
    me = ctx.sender
    accounts = [
        texts.PLATFORM_NAMES.get(a.platform, a.platform)
        for a in await ctx.uow.people.accounts_of(person_id=me.id)
    ]
    home = await ctx.uow.households.of_person(person_id=me.id)
    kept = await ctx.uow.privacy.counts(person_id=me.id)
    lines = [
        texts.MYDATA_HEADER,
        texts.MYDATA_NAME.format(name=me.name),
        texts.MYDATA_ACCOUNTS.format(accounts="、".join(accounts) or texts.MYDATA_NONE),
        texts.MYDATA_ADDRESS.format(address=me.address or texts.MYDATA_NONE),
        texts.MYDATA_PHONE.format(phone=me.phone or texts.MYDATA_NONE),
        texts.MYDATA_ROLES.format(
            roles="、".join(texts.ROLE_NAMES.get(r, r) for r in sorted(me.roles))
        ),
        texts.MYDATA_HOUSEHOLD.format(address=home.address if home else texts.MYDATA_NONE),
        texts.MYDATA_COUNTS.format(
            reports=kept.reports, meals=kept.meals, rsvps=kept.rsvps, votes=kept.votes
        ),
        texts.MYDATA_DELETE_HINT,
    ]
    await ctx.reply("\n".join(lines))


async def delete_my_data(ctx: Context, args: str) -> None:
    """删除我的信息 确认: the sender's identity is removed; their records stay anonymised."""
    if args.strip() != "确认":
        raise UserError(texts.MYDATA_CONFIRM)
    if ctx.sender.has_any(*STAFF_ROLES):
        raise UserError(texts.MYDATA_STAFF)
    await ctx.reply(texts.MYDATA_DELETED)  # queued to the chat before the account goes
    await ctx.uow.privacy.forget(person_id=ctx.sender.id, label=f"{texts.ANONYMOUS}{ctx.sender.id}")


async def apply_retention(ctx: Context) -> int:
    """Closed reports older than the retention period lose their reporter's identity."""
    anonymous = await ctx.uow.privacy.anonymous_person(label=texts.ANONYMOUS, at=ctx.now)
    # what was sent is kept a week (for support), then leaves the history
    await ctx.uow.privacy.purge_sent(before=ctx.now - timedelta(days=OUTBOX_KEEP_DAYS))
    return await ctx.uow.privacy.anonymise_closed_reports(
        before=ctx.now - timedelta(days=ctx.settings.retention_days), anonymous_id=anonymous
    )


async def next_retention_wake(ctx: Context) -> datetime | None:
    """Nightly at 03:00: what has grown old enough goes then (within a day of its time: a
    closer look would scan every closed report at every wake-up)."""
    local = ctx.local(ctx.now)
    at = datetime.combine(local.date(), RETENTION_AT, tzinfo=ctx.settings.timezone)
    return at if at > ctx.now else at + timedelta(days=1)


COMMANDS = (
    Command(
        name="mydata",
        keywords=("我的信息", "个人信息"),
        slash=("mydata",),
        handler=my_data,
        summary="我的信息 / 删除我的信息 —— 查看或删除机器人保存的您的信息",
        english="See (or delete) what the bot keeps about you",
        usage="我的信息",
        takes_args=False,
        private_only=True,
    ),
    Command(
        name="mydata_delete",
        keywords=("删除我的信息",),
        slash=("mydata_delete",),
        handler=delete_my_data,
        summary="",
        usage=texts.MYDATA_CONFIRM,
        private_only=True,
    ),
)


FEATURE = Feature(
    name="privacy", commands=COMMANDS, due=(Due(apply_retention, next_retention_wake),)
)
