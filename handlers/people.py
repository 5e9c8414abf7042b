"""People the bot cannot reach: recorded when a platform refuses them, listed for admins."""

from __future__ import annotations

from handlers import texts
from handlers.context import Context
from handlers.feature import Feature
from handlers.registry import Command

ADMINS = frozenset({"admin", "community", "branch"})


async def record_unreachable(ctx: Context, *, platform: str, native_id: str, reason: str) -> None:
    """A platform refused a person for good: remember it and tell the admins, once."""
    account = await ctx.uow.people.mark_unreachable(
        platform=platform, native_id=native_id, reason=reason, at=ctx.now
    )
    if account is None:
        return
    person = await ctx.uow.people.get(person_id=account.person_id)
    notice = texts.UNREACHABLE_ADMIN.format(
        name=person.name, platform=texts.PLATFORM_NAMES.get(platform, platform), reason=reason
    )
    for admin in await ctx.uow.people.with_role(role="admin"):
        if admin.id != person.id:
            await ctx.tell(admin, notice)


async def who(ctx: Context, args: str) -> None:
    """无法联系 / /who: the staff who cannot get private alerts, and why."""
    lines = []
    for person in await ctx.uow.people.staff():
        accounts = [
            a
            for a in await ctx.uow.people.accounts_of(person_id=person.id)
            if a.platform in ctx.settings.platforms
        ]
        reachable = [a for a in accounts if a.unreachable_since is None]
        if reachable:
            continue
        why = "；".join(
            texts.WHO_BLOCKED.format(
                platform=texts.PLATFORM_NAMES.get(a.platform, a.platform),
                since=ctx.fmt(a.unreachable_since),
                reason=a.unreachable_reason or "",
            )
            for a in accounts
            if a.unreachable_since is not None
        )
        roles = "、".join(texts.ROLE_NAMES.get(r, r) for r in sorted(person.roles - {"resident"}))
        lines.append(
            texts.WHO_LINE.format(name=person.name, roles=roles, why=why or texts.WHO_NO_ACCOUNT)
        )
    await ctx.reply("\n".join([texts.WHO_HEADER, *lines]) if lines else texts.WHO_ALL_GOOD)


COMMANDS = (
    Command(
        name="who",
        english="Staff who cannot receive alerts",
        keywords=("无法联系", "联系状态"),
        slash=("who",),
        handler=who,
        summary="无法联系 —— 哪些工作人员收不到私信提醒",
        usage="无法联系",
        roles=ADMINS,
        takes_args=False,
        private_only=True,  # staff names and why they cannot be reached: not the group's
    ),
)


FEATURE = Feature(name="people", commands=COMMANDS)
