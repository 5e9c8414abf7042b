"""The understanding layer against the labelled corpus (tests/corpus/) and the issue's cases.

The corpus was written before the rules; heldout.tsv is a quarter no rule was tuned against.
Each part must be understood at >= 97%; the test prints a confusion table of intents and
report categories and the held-out score on its own."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.app import build_registry
from bot.config import load_config
from handlers import reports
from handlers.understanding import Understanding, understand

CORPUS = Path(__file__).parent / "corpus"
TODAY = date(2026, 11, 30)  # a Monday; the labels' days count from it
THRESHOLD = 0.97


def _settings():  # type: ignore[no-untyped-def]
    root = Path(__file__).resolve().parent.parent
    return load_config(root / "config.example.toml").settings(platforms=("console",))


SETTINGS = _settings()
REGISTRY = build_registry(SETTINGS)
LEXICON = reports.lexicon_of(SETTINGS.reports)


def read(text: str) -> Understanding:
    def match(t: str) -> tuple[str | None, str, float] | None:
        found = REGISTRY.match(t, group=True)
        if found is None:
            return None
        name = found.command.name if found.command else None
        return name, found.args, found.confidence

    return understand(
        text, match, today=TODAY, lexicon=LEXICON, aliases=SETTINGS.building_aliases
    )


def label_of(u: Understanding) -> str:
    """The reading in the corpus's label format."""
    if u.intent is None:
        return "none"
    if u.intent in ("meal", "meal_cancel"):
        if u.error or u.meal is None:
            return f"{u.intent}!"
        m = u.meal
        day = "-" if m.day is None else f"+{(m.day - TODAY).days}"
        meal = m.meal or "lunch"
        if u.intent == "meal_cancel":
            return f"meal_cancel|{day}|{meal}"
        mode = {None: "-", True: "deliver", False: "dine"}[m.delivery]
        return f"meal|{day}|{meal}|{1 if m.portions is None else m.portions}|{mode}"
    if u.intent in ("rsvp", "rsvp_cancel"):
        if u.error or u.rsvp is None:
            return f"{u.intent}!"
        if u.intent == "rsvp_cancel":
            return f"rsvp_cancel|E{u.rsvp.event}"
        return f"rsvp|E{u.rsvp.event}|{u.rsvp.guests}"
    if u.intent == "report" and u.report is not None:
        r = u.report
        building = r.place.building if r.place else "-"
        return f"report|{building}|{r.category}|{r.urgency or '-'}"
    return f"other:{u.intent}"


def agrees(expected: str, got: str) -> bool:
    if expected == got:
        return True
    e, g = expected.split("|"), got.split("|")
    # report|B|-|fire: any category, the urgency is what matters
    return len(e) == len(g) == 4 and e[0] == "report" and e[2] == "-" and e[::3] == g[::3] and (
        e[1] == g[1]
    )


def load(name: str) -> list[tuple[str, str]]:
    rows = []
    for line in (CORPUS / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, text = line.split("\t", 1)
        rows.append((label, text))
    return rows


def kind(label: str) -> str:
    """The confusion table's row/column: the intent, and for a report its category."""
    parts = label.split("|")
    if parts[0] == "report":
        return f"report:{parts[2]}"
    return parts[0].rstrip("!") + ("!" if parts[0].endswith("!") else "")


def run(name: str) -> tuple[float, list[tuple[str, str, str]]]:
    rows = load(name)
    wrong = []
    table: Counter[tuple[str, str]] = Counter()
    for expected, text in rows:
        got = label_of(read(text))
        ok = agrees(expected, got)
        table[(kind(expected), kind(got) if not ok else kind(expected))] += 1
        if not ok:
            wrong.append((text, expected, got))
    score = 1 - len(wrong) / len(rows)
    print(f"\n== {name}: {len(rows) - len(wrong)}/{len(rows)} = {score:.1%}")
    print(confusion(table))
    for text, expected, got in wrong:
        print(f"  WRONG {text!r}: expected {expected}, got {got}")
    return score, wrong


def confusion(table: Counter[tuple[str, str]]) -> str:
    kinds = sorted({k for pair in table for k in pair})
    lines = ["expected \\ understood".ljust(24) + " ".join(k[:10].rjust(10) for k in kinds)]
    for row in kinds:
        cells = " ".join(str(table.get((row, col), "") or ".").rjust(10) for col in kinds)
        lines.append(row[:24].ljust(24) + cells)
    return "\n".join(lines)


@pytest.mark.parametrize("part", ["train.tsv", "heldout.tsv"])
def test_corpus(part: str) -> None:
    score, _ = run(part)
    assert score >= THRESHOLD, f"{part}: {score:.1%} understood, below {THRESHOLD:.0%}"


def test_corpus_size() -> None:
    rows = load("train.tsv") + load("heldout.tsv")
    assert len(rows) >= 400
    assert sum(1 for label, _ in rows if label == "none") >= 100
    assert len(load("heldout.tsv")) * 4 >= len(rows) - 4


def test_no_chatter_line_triggers_the_bot() -> None:
    for part in ("train.tsv", "heldout.tsv"):
        for label, text in load(part):
            if label == "none":
                assert REGISTRY.match(text, group=True) is None, text


# every example of the issue's "Why", understood as meant
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("上报 三号楼2单元 电动车推进电梯了", "report|3栋|电动车进楼|-"),
        ("上报 2栋 电瓶车停在电梯里", "report|2栋|电动车进楼|-"),
        ("上报 8栋 电动车停在电梯里", "report|8栋|电动车进楼|-"),
        ("上报 5栋1单元 电动车推进楼道里充电", "report|5栋|电动车进楼|-"),
        ("上报 6 栋 楼道里停了三辆电瓶车", "report|6栋|电动车进楼|-"),
        ("上报 3栋 楼道里电瓶车在充电", "report|3栋|电动车进楼|-"),
        ("上报 三号楼 二单元楼道有人从窗户拉电线给电瓶车充电", "report|3栋|飞线充电|-"),
        ("上报 3栋 燃气表那里有很大的味道", "report|3栋|燃气隐患|gas"),
        ("上报纸上说要降温了", "none"),
        ("隐患排查今天开始了，大家配合一下", "none"),
        ("我要上报 3栋 楼道飞线充电", "report|3栋|飞线充电|-"),
        ("【上报】3栋 楼道飞线充电", "report|3栋|飞线充电|-"),
        ("举报 3栋 楼道飞线充电", "report|3栋|飞线充电|-"),
        ("上報 3栋 楼道飞线充电", "report|3栋|飞线充电|-"),
        ("报餐 明天 早餐", "meal!"),
        ("报餐 明天 中午", "meal|+1|lunch|1|-"),
        ("报名E1+2", "rsvp|E1|2"),
        ("报名 E1 加2人", "rsvp|E1|2"),
        ("E1 报名", "rsvp|E1|0"),
        ("报名费多少", "none"),
        ("报餐厅今天开门吗", "none"),
        ("活动中心在哪", "none"),
        ("反映一下 3栋 楼道飞线充电", "report|3栋|飞线充电|-"),
        ("@所有人 上报 3栋 电梯坏了", "report|3栋|电梯故障|-"),
        ("@所有人\u2005上报 3栋 电梯坏了", "report|3栋|电梯故障|-"),
        ("@王阿姨 上报 3栋 电梯坏了", "report|3栋|电梯故障|-"),
        ("@小区助手\u2005上报 3栋 电梯坏了", "report|3栋|电梯故障|-"),
        ("上报 3栋 楼道里有人抽烟", "report|3栋|其他|-"),
        ("上报 3栋 楼梯间放了个煤气罐", "report|3栋|燃气隐患|-"),
        ("上报 3栋 电梯卡住不动了", "report|3栋|电梯故障|-"),
    ],
)
def test_issue_examples(text: str, expected: str) -> None:
    assert label_of(read(text)) == expected


def test_next_next_monday_is_understood_as_a_day() -> None:
    u = read("报餐 下下周一")
    assert u.meal is not None and u.meal.day == TODAY + timedelta(days=14)


def test_scores_name_the_runner_up() -> None:
    u = read("上报 3栋 二单元楼道有人从窗户拉电线给电瓶车充电")
    assert u.report is not None
    assert u.report.category == "飞线充电"
    assert u.report.runner_up is not None and u.report.runner_up.name == "电动车进楼"
