"""A page's action is the chat command it stands for, run by the same registry, role
check and handler as in chat; what the handler would answer in the chat is shown on the
page, everything else it sends (the resident, the next worker) goes through the outbox."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from bot.app import App
from bot.web import texts as web_texts
from handlers import texts
from handlers.chat import Button, ChatKind, Incoming
from handlers.context import Context, UserError
from handlers.registry import dispatch, has_control_chars
from storage import UNAVAILABLE
from storage.people import Person
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

PLATFORM = "web"


class PageContext(Context):
    """A handler's context whose answers to the sender are kept for the page."""

    def __init__(self, *, uow: UnitOfWork, app: App, incoming: Incoming, person: Person) -> None:
        super().__init__(
            uow=uow, clock=app.clock, settings=app.settings, incoming=incoming, person=person
        )
        self.answers: list[str] = []

    async def reply(self, text: str, buttons: Sequence[Button] = ()) -> None:
        self.answers.append(text)


@dataclass(frozen=True)
class Outcome:
    ok: bool  # the handler ran to the end and its changes are kept
    messages: tuple[str, ...]  # what it answered, to show on the page


async def perform(app: App, person_id: int, command: str) -> Outcome:
    """Run `command` (e.g. 「接单 H3」) as `person_id` wrote it to the bot privately, in one
    transaction; an action that went through is in the audit trail as done from the web."""
    if len(command) > app.settings.max_text:
        return Outcome(False, (texts.TOO_LONG.format(limit=app.settings.max_text),))
    if has_control_chars(command):
        return Outcome(False, (texts.CONTROL_CHARS,))
    match = app.registry.match(command, group=False)
    if match is None:
        return Outcome(False, (texts.UNKNOWN_COMMAND.format(command=command.split()[0]),))
    async with app.db.unit_of_work() as uow:
        person = await uow.people.get(person_id=person_id)
        incoming = Incoming(
            platform=PLATFORM,
            chat_id=f"person:{person.id}",
            chat_kind=ChatKind.PRIVATE,
            sender_id=str(person.id),
            sender_name=person.name,
            text=command,
            message_id=uuid.uuid4().hex,
            at=app.clock.now(),
        )
        ctx = PageContext(uow=uow, app=app, incoming=incoming, person=person)
        savepoint = await uow.conn.begin_nested()
        try:
            await dispatch(match, ctx)
            await savepoint.commit()
        except UserError as exc:
            await savepoint.rollback()
            return Outcome(False, (exc.reason,))
        except UNAVAILABLE:
            raise
        except Exception:
            log.exception("web action %r by person %s failed", command, person_id)
            await savepoint.rollback()
            return Outcome(False, (texts.APOLOGY,))
        await uow.people.record_change(
            actor_id=person.id,
            action="web",
            detail=web_texts.AUDIT_ACTION.format(command=command[:500]),
            at=ctx.now,
        )
        answers = tuple(ctx.answers)
    app.sender.wake()
    log.info("web action by person %s: %s", person_id, match.command.name if match.command else "?")
    return Outcome(True, answers)
