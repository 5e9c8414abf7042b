"""登录 in private chat: a staff member gets a one-time link to the 社区工作台 (bot/web), as
good as the code the page sends — 5 minutes, once, counted against the same rate limit,
kept as a hash in the same table (web_login_codes)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from urllib.parse import urlencode

from handlers.context import Context, UserError
from handlers.feature import Feature
from handlers.registry import Command

# who has a workbench at all (residents, 邻长, 物业 and volunteers work in the chat)
WEB_ROLES = frozenset({"grid_worker", "community", "branch", "admin", "canteen"})
CODE_MINUTES = 5  # a code or link is good this long, and once
CODE_WINDOW = timedelta(minutes=15)
MAX_CODES = 3  # codes and links one person may be sent within CODE_WINDOW
URL_KEY = "web_url"  # meta: where the workbench is served, written by the server at start
LINK_PATH = "/login/link"

# what the staff member reads (the workbench's own texts are in bot/web/texts.py; these
# are said by the chat, which cannot import the web package)
LINK_MESSAGE = (
    "【社区工作台】点击下面的链接登录（{minutes}分钟内有效，只能使用一次，请勿转发）：\n{url}"
)
LINK_OFF = "社区工作台没有开启，请联系管理员。"
LINK_TOO_MANY = "登录链接申请太频繁，请15分钟后再试。"


def link_hash(person_id: int, token: str) -> str:
    """What is kept of a link's token: never the token. The token is 192 random bits, so
    an unkeyed hash suffices (the page's six-digit codes are keyed with the site secret);
    the prefix keeps a link's hash from ever matching a code's."""
    return hashlib.sha256(f"link:{person_id}:{token}".encode()).hexdigest()


async def login_link(ctx: Context, args: str) -> None:
    """登录: a one-time link to the workbench, in the private chat it was asked in."""
    base = await ctx.uow.people.get_meta(key=URL_KEY)
    if not base:
        raise UserError(LINK_OFF)
    person = ctx.sender
    since = ctx.now - CODE_WINDOW
    if await ctx.uow.workbench.codes_since(person_id=person.id, since=since) >= MAX_CODES:
        raise UserError(LINK_TOO_MANY)
    token = secrets.token_urlsafe(24)
    await ctx.uow.workbench.add_code(
        person_id=person.id,
        code_hash=link_hash(person.id, token),
        at=ctx.now,
        expires_at=ctx.now + timedelta(minutes=CODE_MINUTES),
    )
    url = f"{base}{LINK_PATH}?{urlencode({'t': f'{person.id}.{token}'})}"
    await ctx.reply(LINK_MESSAGE.format(minutes=CODE_MINUTES, url=url))


COMMANDS = (
    Command(
        name="web_login",
        english="A one-time link to the web workbench",
        keywords=("登录", "登陆"),
        slash=("login",),
        handler=login_link,
        summary="登录 —— 获取社区工作台的一次性登录链接",
        usage="登录",
        roles=WEB_ROLES,
        takes_args=False,
        private_only=True,  # a link that logs in is for one person's eyes
    ),
)

FEATURE = Feature(name="web_login", commands=COMMANDS)
