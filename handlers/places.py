"""Where in the community: buildings, units and rooms as residents write them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_NUM = r"\d{1,3}|[零〇一二两三四五六七八九十]{1,4}"

# 3栋 3号楼 3幢 3# 三栋 三号楼 第3栋 3座, then optionally 2单元501 / 2单元501室 / -2-501
_BUILDING = re.compile(
    rf"(?:第)?(?P<b>{_NUM})\s*(?:号楼|栋|幢|座|#|＃)"
    rf"(?:\s*(?:(?P<u>{_NUM})\s*单元\s*(?:(?P<r>\d{{2,5}})\s*(?:室|号)?)?"
    rf"|[-－]?(?P<u2>\d{{1,2}})[-－](?P<r2>\d{{2,5}})))?"
)
# 3-2-501 with no building word
_DASHED = re.compile(r"(?<![\d-])(?P<b>\d{1,3})-(?P<u>\d{1,2})-(?P<r>\d{2,5})(?![\d-])")


def chinese_number(text: str) -> int | None:
    """1–999 written in digits or Chinese numerals (三, 十二, 二十三), else None."""
    if text.isdigit():
        return int(text)
    if not text or any(c not in _CN_DIGITS and c != "十" for c in text):
        return None
    if "十" in text:
        tens, _, ones = text.partition("十")
        t = _CN_DIGITS.get(tens, 0 if tens else 1) if len(tens) <= 1 else None
        o = _CN_DIGITS.get(ones, 0) if len(ones) <= 1 else None
        if t is None or o is None or (tens and tens not in _CN_DIGITS):
            return None
        return t * 10 + o
    if len(text) == 1:
        return _CN_DIGITS[text]
    return None


@dataclass(frozen=True)
class Place:
    building: str
    unit: str | None
    room: str | None
    start: int
    end: int

    @property
    def label(self) -> str:
        return "".join(p for p in (self.building, self.unit, self.room) if p)


def building_name(number: int) -> str:
    """The canonical name of building `number`: 3 → 3栋."""
    return f"{number}栋"


def find_place(text: str, aliases: Mapping[str, str] | None = None) -> Place | None:
    """The first building (with unit and room when given) named anywhere in text."""
    found: list[Place] = []
    m = _BUILDING.search(text)
    if m:
        b = chinese_number(m.group("b"))
        if b is not None and b > 0:
            unit_raw = m.group("u") or m.group("u2")
            unit_num = chinese_number(unit_raw) if unit_raw else None
            room = m.group("r") or m.group("r2")
            found.append(
                Place(
                    building_name(b),
                    f"{unit_num}单元" if unit_num else None,
                    room,
                    m.start(),
                    m.end(),
                )
            )
    d = _DASHED.search(text)
    if d:
        found.append(
            Place(
                building_name(int(d.group("b"))),
                f"{int(d.group('u'))}单元",
                d.group("r"),
                d.start(),
                d.end(),
            )
        )
    for alias, building in (aliases or {}).items():
        i = text.upper().find(alias.upper())
        if i >= 0:
            found.append(Place(building, None, None, i, i + len(alias)))
    return min(found, key=lambda p: p.start) if found else None


def without(text: str, place: Place) -> str:
    """Text with the place cut out, tidied of the spaces and commas around it."""
    rest = (text[: place.start] + " " + text[place.end :]).strip(" \t，,、:：;；。")
    return re.sub(r"\s+", " ", rest)
