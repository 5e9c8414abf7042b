"""Category and urgency of a hazard report: concepts found in the text, rules scored."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from handlers.understanding.lexicon import CATEGORY_RULES, CLOSE, merged_concepts

OTHER = "其他"

DEFAULT_FIRE_WORDS = (
    "着火",
    "起火",
    "失火",
    "冒烟",
    "浓烟",
    "烟雾",
    "烧焦",
    "焦味",
    "糊味",
    "火灾",
    "明火",
    "火苗",
    "火花",
    "冒火",
    "火光",
    "烧纸",  # an open flame in a stairwell
    "焚烧",
    "鼓包",  # a swollen e-bike battery: the step before it catches fire
    "fire",
    "smoke",
)
DEFAULT_GAS_WORDS = (
    "燃气泄漏",
    "煤气泄漏",
    "天然气泄漏",
    "煤气味",
    "燃气味",
    "漏气",
    "液化气味",
    "臭鸡蛋味",  # what the odourant in town gas smells like
    "gas smell",
)
# a gas concept with one of these nearby: a leak, not a gas bottle in the wrong place
DEFAULT_GAS_RULES = ("燃气+味", "燃气+漏", "燃气+泄", "燃气+嘶嘶", "燃气+臭", "燃气+smell")
# someone shut in a lift: a lift word with one of being trapped (not a lift out of order)
DEFAULT_TRAPPED_RULES = (
    "电梯+被困",
    "电梯+困人",
    "电梯+困住",
    "电梯+困在",
    "电梯+关在",
    "电梯+关着人",
    "电梯+出不来",
    "电梯+卡住了人",
    "电梯+人卡在",
    "电梯+trapped",
)
# words that look urgent and are not: smoking, the smoke detector, a cigarette end, a denial
DEFAULT_NOT_URGENT = (
    "抽烟",
    "吸烟",
    "烟头",
    "烟感",
    "香烟",
    "烟花",
    "没烟",
    "没有烟",
    "无烟",
    "不冒烟",
    "没冒烟",
    "没有冒烟",
    "没着火",
    "没有着火",
    "没有味",
    "没味",
    "没人被困",
    "没有人被困",
    "无人被困",
    "没被困",
)


@dataclass(frozen=True)
class Scored:
    name: str
    score: float


@dataclass(frozen=True)
class Rule:
    parts: tuple[str, ...]
    weight: float


class Lexicon:
    """Concepts and rules compiled once per configuration."""

    def __init__(
        self,
        categories: Iterable[tuple[str, Mapping[str, float], Iterable[str]]],
        *,
        concepts: Mapping[str, tuple[str, ...]] | None = None,
        fire_words: Iterable[str] = DEFAULT_FIRE_WORDS,
        gas_words: Iterable[str] = DEFAULT_GAS_WORDS,
        gas_rules: Iterable[str] = DEFAULT_GAS_RULES,
        trapped_rules: Iterable[str] = DEFAULT_TRAPPED_RULES,
        not_urgent: Iterable[str] = DEFAULT_NOT_URGENT,
    ) -> None:
        self.concepts = merged_concepts(concepts or {})
        self.rules: dict[str, tuple[Rule, ...]] = {}
        for name, rules, keywords in categories:
            compiled = [Rule(tuple(r.split("+")), float(w)) for r, w in rules.items()]
            compiled += [Rule((k,), 3.0) for k in keywords]  # a config's literal keyword
            self.rules[name] = tuple(compiled)
        self.fire_words = tuple(fire_words)
        self.gas_words = tuple(gas_words)
        self.gas_rules = tuple(tuple(r.split("+")) for r in gas_rules)
        self.trapped_rules = tuple(tuple(r.split("+")) for r in trapped_rules)
        self._not_urgent = re.compile("|".join(map(re.escape, not_urgent))) if not_urgent else None

    @classmethod
    def default(cls) -> Lexicon:
        return cls((n, r, ()) for n, r in CATEGORY_RULES.items())

    def _present(self, part: str, text: str, seen: dict[str, bool]) -> bool:
        found = seen.get(part)
        if found is None:
            words = self.concepts.get(part)
            found = any(w in text for w in words) if words else part in text
            seen[part] = found
        return found

    def score(self, text: str) -> list[Scored]:
        """Every category with a score above zero, best first (ties: the configured order)."""
        low = text.lower()
        seen: dict[str, bool] = {}
        out = []
        for name, rules in self.rules.items():
            matched = [r.weight for r in rules if all(self._present(p, low, seen) for p in r.parts)]
            if matched:
                out.append(Scored(name, max(matched) + 0.1 * (len(matched) - 1)))
        out.sort(key=lambda s: -s.score)
        return out

    def urgency(self, text: str) -> str | None:
        """'gas', 'fire', 'trapped' (someone shut in a lift) or None."""
        low = text.lower()
        if self._not_urgent is not None:
            low = self._not_urgent.sub("　", low)
        seen: dict[str, bool] = {}
        if any(w in low for w in self.gas_words) or any(
            all(self._present(p, low, seen) for p in rule) for rule in self.gas_rules
        ):
            return "gas"
        if any(w in low for w in self.fire_words):
            return "fire"
        if any(all(self._present(p, low, seen) for p in rule) for rule in self.trapped_rules):
            return "trapped"
        return None


def best(scores: list[Scored]) -> tuple[str, Scored | None, bool]:
    """The winner (其他 when none), the runner-up, and whether the runner-up is close."""
    if not scores:
        return OTHER, None, False
    top = scores[0]
    second = scores[1] if len(scores) > 1 else None
    close = second is not None and second.score >= top.score * CLOSE
    return top.name, second, close
