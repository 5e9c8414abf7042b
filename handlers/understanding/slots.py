"""Slots of a meal sign-up (day, meal, portions, dine-in/delivery, for whom, note) and of an
RSVP (event, guests). A word that looks like a day, a meal or a number and is not understood
is an error, never a note: the resident is told what was not understood and nothing is
written. Notes are what follows 备注, or words that are clearly not slots (少盐, 不要辣)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from handlers.places import chinese_number
from handlers.when import DayError, parse_day

MEAL_WORDS = {
    "午餐": "lunch",
    "中餐": "lunch",
    "午饭": "lunch",
    "中饭": "lunch",
    "中午": "lunch",
    "晚餐": "dinner",
    "晚饭": "dinner",
    "晚上": "dinner",
    "晚": "dinner",
}
NOT_SERVED = ("早餐", "早饭", "早点", "早上", "早晨", "夜宵", "宵夜", "下午茶", "点心")
_MEAL = re.compile("^(" + "|".join(sorted(MEAL_WORDS, key=len, reverse=True)) + ")")
_NOT_SERVED = re.compile("^(" + "|".join(NOT_SERVED) + ")")
_NUMERAL = "〇零一二两俩三四五六七八九十百千万"
_NUM = rf"\d{{1,6}}|[{_NUMERAL}]{{1,6}}"
_PORTIONS = re.compile(rf"^(?P<n>-?(?:{_NUM}))\s*(?:份|分|个人|人|位|个)")
_MODE = re.compile(r"^(送餐|送上门|送到家|送饭|送过来|堂食|到店吃|到店|食堂吃|自己来吃|来吃)")
_PROXY = re.compile(r"^(?:代|帮)\s*(?P<name>[^\s,，、]+)")
_NOTE = re.compile(r"^备注\s*[:：]?\s*")
# 今晚 明晚 今早 明早: a day and a meal in one word
_DAY_MEAL = re.compile(r"^(今|明|后)(晚|早)")
_COURTESY = re.compile(r"^(谢谢|多谢|感谢|麻烦了|辛苦了|谢了|thanks|thx|ok|好的)[!！。.~]*")
_SEP = " ,，、。;；!！"
# what a day, a meal or a number looks like: such a word is never a silent note
_LOOKS_SLOT = re.compile(
    rf"(\d|[{_NUMERAL}半几]\s*(份|个|人|位|分)|^[{_NUMERAL}半几俩]+$|半份|几份|很多份"
    r"|天|日|号|周|星期|礼拜|月|年|早|午|晚|餐|饭|夜|宵|^[下上这本](?:个|辈|周|回|次))"
)


def number(text: str) -> int | None:
    """An integer written in digits or Chinese numerals (两, 十二, 十万), else None."""
    text = text.strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if text == "俩":
        return 2
    small = chinese_number(text)  # 一 … 九十九, the common case, without loading cn2an
    if small is not None:
        return small
    import cn2an  # 0.1 s to import: loaded only for 一百, 十万 …

    try:
        value = cn2an.cn2an(text, "smart")
    except (ValueError, KeyError, IndexError):
        return None
    return int(value) if float(value).is_integer() else None


class SlotError(ValueError):
    """What was not understood, in words the resident reads."""


@dataclass
class MealSlots:
    day: date | None = None
    meal: str | None = None
    portions: int | None = None
    delivery: bool | None = None
    proxy: str | None = None  # the name after 代 / 帮, for the handler to look up
    note: str = ""
    words: list[str] = field(default_factory=list)  # how each slot was written, for explain


def parse_meal(text: str, today: date) -> MealSlots:
    """报餐's words in any order; SlotError when a day/meal/number-like word is not understood."""
    rest = text.strip(_SEP)
    slots = MealSlots()
    notes: list[str] = []
    while rest:
        if m := _NOTE.match(rest):
            notes.append(rest[m.end() :].strip())
            break
        try:
            found_day = parse_day(rest, today)
        except DayError as exc:
            raise SlotError(str(exc)) from None
        if found_day is not None:
            day, used = found_day
            if slots.day is not None:
                raise SlotError(f"一次只能报一天：「{rest[:used]}」")
            slots.day = day
            slots.words.append(rest[:used])
            rest = rest[used:]
        elif m := _DAY_MEAL.match(rest):
            if m.group(2) == "早":
                raise SlotError(f"食堂没有早餐（「{m.group(0)}」），只有午餐和晚餐")
            slots.day = today + timedelta(days={"今": 0, "明": 1, "后": 2}[m.group(1)])
            slots.meal = "dinner"
            slots.words.append(m.group(0))
            rest = rest[m.end() :]
        elif m := _NOT_SERVED.match(rest):
            raise SlotError(f"食堂没有「{m.group(1)}」，只有午餐和晚餐")
        elif m := _MEAL.match(rest):
            meal = MEAL_WORDS[m.group(1)]
            if slots.meal is not None and slots.meal != meal:
                raise SlotError("一次只能报一餐，午餐和晚餐请分开报")
            slots.meal = meal
            slots.words.append(m.group(1))
            rest = rest[m.end() :]
        elif m := _PORTIONS.match(rest):
            n = number(m.group("n"))
            if n is None:
                raise SlotError(f"看不懂份数「{m.group(0)}」")
            if slots.portions is not None:
                raise SlotError(f"份数写了两次：「{m.group(0)}」")
            slots.portions = n
            slots.words.append(m.group(0))
            rest = rest[m.end() :]
        elif m := _MODE.match(rest):
            slots.delivery = m.group(1).startswith("送")
            slots.words.append(m.group(1))
            rest = rest[m.end() :]
        elif slots.proxy is None and (m := _PROXY.match(rest)):
            slots.proxy = m.group("name")
            rest = rest[m.end() :]
        elif m := _COURTESY.match(rest):
            rest = rest[m.end() :]
        else:
            word = re.split(rf"[{_SEP}]", rest, maxsplit=1)[0]
            if _LOOKS_SLOT.search(word):
                raise SlotError(f"看不懂「{word}」")
            notes.append(word)
            rest = rest[len(word) :]
        rest = rest.lstrip(_SEP)
    slots.note = " ".join(n for n in notes if n)[:100]
    return slots


# RSVP: 报名 E1 [+2 | 2 | 加2人 | 带两个人: guests] [2人 | 两个人: people in all]
_EVENT = re.compile(r"^[Ee]?\s*(?P<n>\d{1,9})(?![\d.])")
_GUESTS = re.compile(
    rf"^(?:(?P<plus>\+|加|带|再带|另带|再加)\s*(?P<g>-?(?:{_NUM}|\d+))\s*(?:个人|人|位|个)?"
    rf"|(?P<minus>-\d+)|(?P<bare>\d{{1,6}})|(?P<all>{_NUM})\s*(?:个人|人|位))$"
)


@dataclass(frozen=True)
class RsvpSlots:
    event: int
    guests: int
    stated: bool = True  # False: no number was said (报名 E1), which changes no RSVP


def parse_rsvp(text: str) -> RsvpSlots:
    """The event number and the guests; SlotError when either is not understood."""
    rest = text.strip(_SEP)
    m = _EVENT.match(rest)
    if m is None:
        raise SlotError("请写活动编号，例如「报名 E1」")
    event = int(m.group("n"))
    rest = rest[m.end() :].strip(_SEP)
    rest = _COURTESY.sub("", rest).strip(_SEP)
    for tail in ("谢谢", "多谢", "感谢"):
        rest = rest.removesuffix(tail).strip(_SEP)
    if not rest:
        return RsvpSlots(event, 0, stated=False)
    g = _GUESTS.match(rest.replace(" ", ""))
    if g is None:
        raise SlotError(f"看不懂「{rest}」：带人请写「+2」或「加2人」")
    if g.group("minus"):
        return RsvpSlots(event, int(g.group("minus")))
    if g.group("bare"):  # 报名 E1 2: guests, as +2 (the reply says how many in all)
        return RsvpSlots(event, int(g.group("bare")))
    if g.group("plus"):
        n = number(g.group("g"))
        if n is None:
            raise SlotError(f"看不懂人数「{rest}」")
        return RsvpSlots(event, n)
    n = number(g.group("all"))
    if n is None or n < 1:
        raise SlotError(f"看不懂人数「{rest}」")
    return RsvpSlots(event, n - 1)  # 2人: the resident and one guest
