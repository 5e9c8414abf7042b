"""The understanding layer: what a resident's message means, free of platform and storage.

normalise (normalize.py) → command word at a word boundary (commands.py, used by the
registry) → intent with a confidence → slots: place, category scored with its runner-up,
urgency (categories.py); day, meal, portions… (slots.py). `linli explain "…"` prints it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from handlers.places import Place, find_place, without
from handlers.understanding.categories import OTHER, Lexicon, Scored, best
from handlers.understanding.commands import QUESTION
from handlers.understanding.normalize import fold, normalize, normalize_mention
from handlers.understanding.slots import (
    MealSlots,
    RsvpSlots,
    SlotError,
    parse_meal,
    parse_rsvp,
)

__all__ = [
    "OTHER",
    "Lexicon",
    "MealSlots",
    "ReportMeaning",
    "RsvpSlots",
    "Scored",
    "SlotError",
    "Understanding",
    "fold",
    "looks_like_report",
    "normalize",
    "normalize_mention",
    "parse_meal",
    "parse_rsvp",
    "read_report",
    "understand",
]

# a report glued to its command word (上报楼道有电动车) needs this much evidence
GLUED_EVIDENCE = 3.0


@dataclass(frozen=True)
class ReportMeaning:
    place: Place | None
    description: str
    category: str
    scores: tuple[Scored, ...]
    runner_up: Scored | None
    close: bool  # the runner-up scored close to the winner
    urgency: str | None  # 'fire', 'gas' or None
    confidence: float


def read_report(
    text: str, lexicon: Lexicon, aliases: Mapping[str, str] | None = None
) -> ReportMeaning:
    """Place, category (with every score) and urgency of a report's text."""
    place = find_place(text, aliases)
    description = without(text, place) if place is not None else text.strip()
    scores = lexicon.score(text)
    category, second, close = best(scores)
    if scores:
        top = scores[0].score
        confidence = min(1.0, top / 4) * (top / (top + second.score) if second else 1.0)
    else:
        confidence = 0.3
    return ReportMeaning(
        place=place,
        description=description,
        category=category,
        scores=tuple(scores),
        runner_up=second,
        close=close,
        urgency=lexicon.urgency(text),
        confidence=round(confidence, 2),
    )


def looks_like_report(text: str, lexicon: Lexicon, aliases: Mapping[str, str] | None) -> bool:
    """Whether text, with no separator after the command word, is evidently a report."""
    scores = lexicon.score(text)
    if (scores and scores[0].score >= GLUED_EVIDENCE) or lexicon.urgency(text):
        return True
    return find_place(text, aliases) is not None and QUESTION.search(text) is None


@dataclass(frozen=True)
class Understanding:
    text: str  # as normalised
    intent: str | None  # the command's name; None: chatter
    confidence: float
    args: str = ""
    report: ReportMeaning | None = None
    meal: MealSlots | None = None
    rsvp: RsvpSlots | None = None
    error: str | None = None  # what was not understood
    details: dict[str, str] = field(default_factory=dict)


MEAL_INTENTS = ("meal", "meal_cancel")
RSVP_INTENTS = ("rsvp", "rsvp_cancel")
REPORT_INTENTS = ("report",)


def understand(
    text: str,
    match: Callable[[str], tuple[str | None, str, float] | None],
    *,
    today: date,
    lexicon: Lexicon,
    aliases: Mapping[str, str] | None = None,
) -> Understanding:
    """The whole reading of one message; `match` is the registry's (intent, args, confidence)."""
    found = match(text)
    norm = normalize(text)
    if found is None:
        return Understanding(norm, None, 1.0)
    intent, args, confidence = found
    if intent in REPORT_INTENTS:
        return Understanding(norm, intent, confidence, args, report=read_report(args, lexicon, aliases))
    try:
        if intent in MEAL_INTENTS:
            return Understanding(norm, intent, confidence, args, meal=parse_meal(args, today))
        if intent in RSVP_INTENTS:
            return Understanding(norm, intent, confidence, args, rsvp=parse_rsvp(args))
    except SlotError as exc:
        return Understanding(norm, intent, confidence, args, error=str(exc))
    return Understanding(norm, intent, confidence, args)
