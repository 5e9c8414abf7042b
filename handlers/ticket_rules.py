"""The rules of tickets — hazard reports (H1) and service orders (S1) — without storage or
chat: from a ticket's state, the actor's part in it and the verb, what happens (a
transition) or which refusal the actor reads."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from handlers import texts
from storage.reports import ACKNOWLEDGED, OPEN, RESOLVED

STATES = (OPEN, ACKNOWLEDGED, RESOLVED)  # the same three for reports and orders
UNSATISFIED = "unsatisfied"


class Verb(Enum):
    """What the actor asked for."""

    ACKNOWLEDGE = "接单"
    RESOLVE = "办结"
    REASSIGN = "转派"
    NOTE = "备注"
    FOLLOW = "我也遇到"
    RATE = "评价"
    VIEW = "进度"


class Outcome(Enum):
    """What happens to the ticket: a transition, or (NOTE, FOLLOW, RATE, VIEW) none."""

    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    REASSIGN = "reassign"
    REOPEN = "reopen"
    NOTE = "note"
    FOLLOW = "follow"
    RATE = "rate"
    VIEW = "view"


@dataclass(frozen=True)
class Refusal:
    """Nothing happens: the actor is told why."""

    template: str
    status: str = ""  # for an order: the state it is already in (接单, 办结)

    def text(self, number: str) -> str:
        """The refusal as the actor reads it."""
        return self.template.format(number=number, status=self.status)


Decision = Outcome | Refusal


@dataclass(frozen=True)
class Actor:
    """The actor's part in a ticket: one may be both (a grid worker who reported it)."""

    responder: bool  # may act on it: its assignee (provider), a worker of its grid, or above
    resident: bool  # reported (ordered) it, or follows it


def decide_report(
    status: str,
    actor: Actor,
    verb: Verb,
    *,
    words: str = "",
    rating: str | None = None,
    assigned: bool = True,
) -> Decision:
    """What a verb does to a report. `words`: the note, resolution, target or reason given;
    `rating`: the verdict of RATE; `assigned`: whether anyone has the report (a reopened
    report goes back to them, so one nobody has cannot be reopened)."""
    if verb is Verb.VIEW:
        return Outcome.VIEW if actor.resident or actor.responder else _no(texts.HISTORY_NOT_ALLOWED)
    if verb is Verb.FOLLOW:
        return _no(texts.ALREADY_RESOLVED) if status == RESOLVED else Outcome.FOLLOW
    if verb is Verb.RATE:
        if not actor.resident:
            return _no(texts.RATING_NOT_YOURS)
        if status != RESOLVED:
            return _no(texts.RATING_NOT_RESOLVED)
        if rating == UNSATISFIED and not words:  # it goes back to the worker: say what is wrong
            return _no(texts.RATING_NEED_REASON)
        return Outcome.REOPEN if rating == UNSATISFIED and assigned else Outcome.RATE
    # the responders' verbs
    if not actor.responder:
        return _no(texts.NOT_YOUR_REPORT)
    if status == RESOLVED:
        return _no(texts.ALREADY_RESOLVED)
    if verb is Verb.ACKNOWLEDGE:
        return _no(texts.ALREADY_ACKED) if status == ACKNOWLEDGED else Outcome.ACKNOWLEDGE
    if verb is Verb.RESOLVE:
        # the resident is told what was done: "（无）" tells them nothing
        return Outcome.RESOLVE if words else _no(texts.RESOLVE_NEED_NOTE)
    if verb is Verb.REASSIGN:
        return Outcome.REASSIGN if words else _no(texts.REASSIGN_USAGE)
    return Outcome.NOTE if words else _no(texts.NOTE_USAGE)


ORDER_VERBS = (Verb.ACKNOWLEDGE, Verb.RESOLVE, Verb.RATE)


def decide_order(
    status: str, actor: Actor, verb: Verb, *, words: str = "", rating: str | None = None
) -> Decision:
    """What a verb does to a service order: its provider (or staff) takes and closes it,
    its requester rates it, and 不满意 sends it back to the provider."""
    if verb is Verb.RATE:
        if not actor.resident:
            return _no(texts.ORDER_NOT_YOURS)
        if status != RESOLVED:
            return _no(texts.RATING_NOT_RESOLVED)
        if rating == UNSATISFIED:
            return Outcome.REOPEN if words else _no(texts.RATING_NEED_REASON)
        return Outcome.RATE
    if verb not in ORDER_VERBS:
        raise ValueError(f"no {verb.value} for a service order")
    if not actor.responder:
        return _no(texts.ORDER_NOT_YOURS)
    if verb is Verb.ACKNOWLEDGE:
        return Outcome.ACKNOWLEDGE if status == OPEN else _no(texts.ORDER_ALREADY, "接单")
    return _no(texts.ORDER_ALREADY, "办结") if status == RESOLVED else Outcome.RESOLVE


def _no(template: str, status: str = "") -> Refusal:
    return Refusal(template, status)
