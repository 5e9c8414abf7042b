"""Who is at the page: one-time login codes sent to a private chat, signed session cookies
that expire, and the CSRF token of every form."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from bot.web import texts
from handlers.clock import Clock
from handlers.context import Context
from handlers.settings import Settings
from handlers.web_login import (
    CODE_MINUTES,
    CODE_WINDOW,
    MAX_CODES,
    WEB_ROLES,
    link_hash,
)
from storage import Database, NotFound
from storage.people import Person
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # wrong guesses at one code (or link) before it is dead
SECRET_KEY = "web_secret"  # where a generated signing secret is kept (meta table)


async def signing_secret(db: Database, configured: str) -> str:
    """The configured secret, or one generated once and kept in the database, so that
    every worker on the database and every restart sign alike."""
    if configured:
        return configured
    async with db.unit_of_work() as uow:
        kept = await uow.people.get_meta(key=SECRET_KEY)
        if kept:
            return kept
        made = secrets.token_urlsafe(32)
        await uow.people.set_meta(key=SECRET_KEY, value=made)
        return made


def code_hash(secret: str, person_id: int, code: str) -> str:
    """What is kept of a code: never the code itself."""
    msg = f"{person_id}:{code}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


def is_staff(person: Person | None) -> bool:
    return person is not None and person.has_any(*WEB_ROLES)


class _Unsent(Exception):
    pass


async def send_code(db: Database, clock: Clock, settings: Settings, secret: str, name: str) -> bool:
    """Send a one-time code to the named staff member's private chat; False when nothing
    was sent (no such staff member, no reachable account, too many codes lately). The page
    says the same either way, so it does not tell who is staff."""
    try:
        return await _send_code(db, clock, settings, secret, name)
    except _Unsent:  # the code was rolled back: it could never have been entered
        return False


async def _send_code(
    db: Database, clock: Clock, settings: Settings, secret: str, name: str
) -> bool:
    now = clock.now()
    async with db.unit_of_work() as uow:
        person = await uow.people.find_by_name(name=name)
        if person is None or not is_staff(person):
            return False
        if await uow.workbench.codes_since(person_id=person.id, since=now - CODE_WINDOW) >= (
            MAX_CODES
        ):
            log.warning("web login: too many codes asked for person %s", person.id)
            return False
        code = f"{secrets.randbelow(10**6):06d}"
        await uow.workbench.add_code(
            person_id=person.id,
            code_hash=code_hash(secret, person.id, code),
            at=now,
            expires_at=now + timedelta(minutes=CODE_MINUTES),
        )
        ctx = Context(uow=uow, clock=clock, settings=settings)
        sent = await ctx.tell(person, texts.CODE_MESSAGE.format(code=code, minutes=CODE_MINUTES))
        if not sent:
            raise _Unsent
        return True


async def check_code(
    db: Database, clock: Clock, secret: str, name: str, code: str
) -> Person | None:
    """The staff member whose newest code this is, if it is unused, unexpired and not
    guessed at too often; the code is used up. Each wrong guess is counted."""
    now = clock.now()
    code = code.strip()
    async with db.unit_of_work() as uow:
        person = await uow.people.find_by_name(name=name)
        if person is None or not is_staff(person):
            return None
        return await _redeem(
            uow, person, code_hash(secret, person.id, code), texts.AUDIT_LOGIN, now
        )


async def check_link(db: Database, clock: Clock, token: str) -> Person | None:
    """The staff member a 登录 link (「12.<token>」) was sent to, if it is their newest code,
    unused, unexpired and not guessed at too often; the link is used up."""
    pid, _, secret_part = token.strip().partition(".")
    if not pid.isdigit() or len(pid) > 9 or not secret_part or len(secret_part) > 64:
        return None
    now = clock.now()
    async with db.unit_of_work() as uow:
        try:
            person = await uow.people.get(person_id=int(pid))
        except NotFound:
            return None
        if not is_staff(person):
            return None
        return await _redeem(
            uow, person, link_hash(person.id, secret_part), texts.AUDIT_LOGIN_LINK, now
        )


async def _redeem(
    uow: UnitOfWork, person: Person, offered: str, detail: str, now: datetime
) -> Person | None:
    """Use up the person's newest code if it is unused, unexpired, not guessed at too often
    and `offered` is its hash (a wrong one is counted as a guess); audited as a login."""
    latest = await uow.workbench.latest_code(person_id=person.id)
    if latest is None or latest.used_at is not None or latest.expires_at <= now:
        return None
    if latest.attempts >= MAX_ATTEMPTS:
        return None
    if not hmac.compare_digest(latest.code_hash, offered):
        await uow.workbench.count_attempt(code_id=latest.id)
        return None
    if not await uow.workbench.use_code(code_id=latest.id, at=now):
        return None
    await uow.people.record_change(actor_id=person.id, action="web_login", detail=detail, at=now)
    return person


@dataclass(frozen=True)
class Session:
    """What the cookie carries: a random id (the CSRF token derives from it), who logged in
    (None before login), when it ends, and messages to show once."""

    sid: str
    person_id: int | None
    expires: float  # seconds since the epoch, on the injected clock
    flash: tuple[str, ...] = field(default=())

    def with_flash(self, *messages: str) -> Session:
        return replace(self, flash=(*self.flash, *messages))


class Sessions:
    """Signs, reads and checks the session cookie and the CSRF tokens."""

    COOKIE = "linli_session"

    def __init__(self, secret: str, clock: Clock, *, hours: int) -> None:
        self._secret = secret
        self._signer = URLSafeSerializer(secret, salt="linli-web-session")
        self._clock = clock
        self._life = timedelta(hours=hours)

    def new(self, person_id: int | None = None) -> Session:
        """A fresh session (a new id: logging in never keeps the anonymous one's)."""
        expires = (self._clock.now() + self._life).timestamp()
        return Session(secrets.token_urlsafe(16), person_id, expires)

    def dump(self, session: Session) -> str:
        payload: dict[str, Any] = {
            "s": session.sid,
            "p": session.person_id,
            "e": session.expires,
            "f": list(session.flash),
        }
        return self._signer.dumps(payload)

    def load(self, cookie: str | None) -> Session | None:
        """The cookie's session, or None if absent, forged or expired."""
        if not cookie:
            return None
        try:
            data = self._signer.loads(cookie)
        except BadSignature:
            return None
        try:
            session = Session(
                str(data["s"]),
                None if data["p"] is None else int(data["p"]),
                float(data["e"]),
                tuple(str(m) for m in data["f"]),
            )
        except (KeyError, TypeError, ValueError):
            return None
        if session.expires <= self._clock.now().timestamp():
            return None
        return session

    def max_age(self) -> int:
        return int(self._life.total_seconds())

    def csrf(self, session: Session) -> str:
        """The token every form of this session carries."""
        msg = f"csrf:{session.sid}".encode()
        return hmac.new(self._secret.encode(), msg, hashlib.sha256).hexdigest()

    def csrf_ok(self, session: Session, token: str) -> bool:
        return hmac.compare_digest(self.csrf(session), token)
