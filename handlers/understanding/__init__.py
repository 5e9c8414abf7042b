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
    urgency: str | None  # 'fire', 'gas', 'trapped' or None
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


def sounds_like_hazard(text: str, lexicon: Lexicon) -> bool:
    """Whether a text with no command word describes a hazard (a strong category match or an
    urgent one): said to the bot, it is worth asking whether to report it."""
    scores = lexicon.score(text)
    return bool((scores and scores[0].score >= GLUED_EVIDENCE) or lexicon.urgency(text))


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
        report = read_report(args, lexicon, aliases)
        return Understanding(norm, intent, confidence, args, report=report)
    try:
        if intent in MEAL_INTENTS:
            return Understanding(norm, intent, confidence, args, meal=parse_meal(args, today))
        if intent in RSVP_INTENTS:
            return Understanding(norm, intent, confidence, args, rsvp=parse_rsvp(args))
    except SlotError as exc:
        return Understanding(norm, intent, confidence, args, error=str(exc))
    return Understanding(norm, intent, confidence, args)


def describe(u: Understanding, today: date) -> str:
    """How a text is understood, for staff tuning their TOML and for bug reports."""
    lines = [f"原文（规范化后）：{u.text}"]
    if u.intent is None:
        lines.append("意图：无 —— 闲聊，群里不回应")
        return "\n".join(lines)
    lines.append(f"意图：{u.intent}（置信度 {u.confidence:.2f}）")
    lines.append(f"参数：{u.args or '（无）'}")
    if u.report is not None:
        r = u.report
        place = r.place.label if r.place else "（未写楼栋：用绑定住址，或问是哪一栋）"
        lines.append(f"地点：{place}")
        lines.append(f"内容：{r.description}")
        scores = "，".join(f"{s.name} {s.score:.1f}" for s in r.scores) or "（无）"
        lines.append(f"类别：{r.category}（置信度 {r.confidence:.2f}；得分：{scores}）")
        if r.runner_up is not None:
            near = "接近，告诉网格员或先问居民" if r.close else "不接近"
            lines.append(f"第二：{r.runner_up.name} {r.runner_up.score:.1f}（{near}）")
        urgency = {
            "fire": "紧急（火情）",
            "gas": "紧急（燃气）",
            "trapped": "紧急（电梯困人）",
            None: "不紧急",
        }[r.urgency]
        lines.append(f"紧急：{urgency}")
    if u.error is not None:
        lines.append(f"没看懂：{u.error} —— 回复居民，不写入")
    if u.meal is not None:
        m = u.meal
        day = "（默认：今天的午餐还能报就今天，否则明天）" if m.day is None else m.day.isoformat()
        meal = {None: "午餐（默认）", "lunch": "午餐", "dinner": "晚餐"}[m.meal]
        mode = {None: "（不变/堂食）", True: "送餐", False: "堂食"}[m.delivery]
        portions = 1 if m.portions is None else m.portions
        lines.append(
            f"日期：{day}；餐次：{meal}；份数：{portions}；方式：{mode}"
            + (f"；代：{m.proxy}" if m.proxy else "")
            + (f"；备注：{m.note}" if m.note else "")
        )
    if u.rsvp is not None:
        lines.append(f"活动：E{u.rsvp.event}；家属：{u.rsvp.guests}人（共{u.rsvp.guests + 1}人）")
    return "\n".join(lines)
