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
from tests.fakes import Bot, to

CORPUS = Path(__file__).parent / "corpus"
TODAY = date(2026, 11, 30)  # a Monday; the labels' days count from it
THRESHOLD = 0.97
PROPERTY = "吴经理"  # the demo community's 物业


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

    return understand(text, match, today=TODAY, lexicon=LEXICON, aliases=SETTINGS.building_aliases)


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
    return (
        len(e) == len(g) == 4
        and e[0] == "report"
        and e[2] == "-"
        and e[::3] == g[::3]
        and (e[1] == g[1])
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


@pytest.mark.parametrize("part", ["train.tsv", "heldout.tsv", "fresh.tsv"])
def test_corpus(part: str) -> None:
    score, _ = run(part)
    assert score >= THRESHOLD, f"{part}: {score:.1%} understood, below {THRESHOLD:.0%}"


def test_corpus_size() -> None:
    rows = load("train.tsv") + load("heldout.tsv")
    assert len(rows) >= 400
    assert sum(1 for label, _ in rows if label == "none") >= 100
    assert len(load("heldout.tsv")) * 4 >= len(rows) - 4


def test_no_chatter_line_triggers_the_bot() -> None:
    for part in ("train.tsv", "heldout.tsv", "fresh.tsv"):
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
        # found by a reviewer after the corpus: an open flame, a swelling battery, the gas
        # odourant are urgent too
        ("上报 5栋 楼道有人烧纸", "report|5栋|其他|fire"),
        ("上报 5栋 电瓶车电池鼓包了", "report|5栋|其他|fire"),
        ("上报 5栋 楼道里有股臭鸡蛋味", "report|5栋|其他|gas"),
        # found by a reviewer: someone trapped in a lift is urgent, a broken lift is not
        ("上报 3栋 电梯坏了有人被困在里面", "report|3栋|电梯故障|trapped"),
        ("上报 3栋 电梯停了，我被关在里面出不来", "report|3栋|电梯故障|trapped"),
        ("上报 3栋 电梯坏了，还好没人被困", "report|3栋|电梯故障|-"),
        ("上报 3栋 电梯坏了", "report|3栋|电梯故障|-"),
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


# through the real App: the runner-up asked about or told, the slot errors write nothing


async def test_close_categories_alerting_other_people_are_asked_not_guessed(bot: Bot) -> None:
    said = await bot.say("王辉", "上报 3栋 电动车停在电梯里 电梯也坏了")
    assert len(said) == 1
    assert "请问这是「电动车进楼」还是「电梯故障」" in said[0].text
    async with bot.db.unit_of_work() as uow:
        reporter = await uow.people.find_by_name(name="王辉")
        assert reporter is not None
        assert await uow.reports.active_of_reporter(person_id=reporter.id) == []
    said = await bot.say("王辉", "2")
    assert "H1" in to(said, "群")[0].text
    assert any("类别：电梯故障" in s.text for s in to(said, PROPERTY))  # 物业 is told
    async with bot.db.unit_of_work() as uow:
        report = await uow.reports.get(report_id=1)
    assert report.category == "电梯故障" and report.building == "3栋"


async def test_close_categories_alerting_the_same_people_tell_the_worker(bot: Bot) -> None:
    said = await bot.say("王辉", "上报 3栋 楼道堆了纸箱 消防通道也堵了")
    alert = to(said, "李娜")[0].text
    assert "类别：消防通道占用" in alert
    assert "也可能是「楼道堆物」，请核实类别" in alert


async def test_a_meal_word_not_understood_writes_nothing(bot: Bot) -> None:
    said = await bot.say("王辉", "报餐 明天 早餐")
    assert "没看懂" in said[0].text and "早餐" in said[0].text
    said = await bot.say("王辉", "报餐 下下周一")  # understood as a day: too far ahead
    assert "最多" in said[0].text or "提前" in said[0].text, said[0].text
    said = await bot.say("王辉", "报餐 明天 中午")
    assert "午餐" in said[0].text and "备注" not in said[0].text
    async with bot.db.unit_of_work() as uow:
        person = await uow.people.find_by_name(name="王辉")
        assert person is not None
        signups = await uow.meals.upcoming_of(person_id=person.id, since=bot.clock.now().date())
    assert [(s.meal, s.note) for s in signups] == [("lunch", None)]


async def test_rsvp_forms_without_spaces_go_through(bot: Bot) -> None:
    await bot.dm("朱东", "发起活动 议事会 12月5日 19:00 党群服务中心 限30人")
    said = await bot.say("王辉", "报名E1+2")
    assert "3人（含家属2人）" in said[0].text
    said = await bot.say("陈刚", "E1 报名")
    assert "E1" in said[0].text and "1人" in said[0].text


async def test_chatter_with_command_words_is_ignored_in_the_group(bot: Bot) -> None:
    for text in ("上报纸上说要降温了", "隐患排查今天开始了，大家配合一下", "报名费多少钱啊"):
        assert await bot.say("王辉", text) == []


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("@所有人\u2005上报 3栋 电梯坏了", "上报 3栋 电梯坏了"),
        ("@王阿姨 @李娜 报名 E1", "报名 E1"),
        ("【上报】9栋门口飞线充电", "上报 9栋门口飞线充电"),
        ("上報 6棟 有人從窗戶拉電線", "上报 6栋 有人从窗户拉电线"),
        ("上报 6 号楼 ３栋 Ｈ１", "上报 6号楼 3栋 H1"),
        ("报餐 明天 午餐 😊[强]", "报餐 明天 午餐"),
    ],
)
def test_normalisation(raw: str, normal: str) -> None:
    from handlers.understanding import normalize

    assert normalize(raw, ["小区助手"]) == normal


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("明天 早餐", "早餐"),
        ("后年", "后年"),
        ("32号", "32号"),
        ("明天 一份半", "半"),
        ("明天后天", "一次只能报一天"),
        ("明天 午餐 和晚餐", "和晚餐"),
    ],
)
def test_meal_words_that_look_like_slots_are_errors_not_notes(text: str, error: str) -> None:
    from handlers.understanding import SlotError, parse_meal

    with pytest.raises(SlotError, match=error):
        parse_meal(text, TODAY)


def test_notes_are_kept_when_clearly_not_slots() -> None:
    from handlers.understanding import parse_meal

    assert parse_meal("明天 午餐 少盐 软一点", TODAY).note == "少盐 软一点"
    assert parse_meal("明天 备注 12点前送到", TODAY).note == "12点前送到"


def test_linli_explain_prints_intent_place_scores_and_urgency(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.cli import main

    root = Path(__file__).resolve().parent.parent
    code = main(
        ["explain", "--config", str(root / "config.example.toml"), "上报 3栋 电瓶车停在电梯里"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "意图：report" in out and "地点：3栋" in out
    assert "类别：电动车进楼" in out and "电梯故障 1.5" in out
    assert "紧急：不紧急" in out


def test_glued_commands_in_a_private_chat_are_meant_for_the_bot() -> None:
    found = REGISTRY.match("上报楼上天天半夜装修", group=False)
    assert found is not None and found.command is not None
    assert found.command.name == "report" and found.args == "楼上天天半夜装修"
    assert REGISTRY.match("上报楼上天天半夜装修", group=True) is None
    assert REGISTRY.match("上报纸上说要降温了", group=False) is None  # still another word


async def test_an_unanswered_category_question_ends_telling_the_resident(bot: Bot) -> None:
    """Held back for the resident's choice, the report is not filed on a guess when the
    question runs out; the resident hears so (as for "which building?")."""
    await bot.say("何伟", "上报 2栋 电梯里有电瓶车 电梯也坏了")
    said = await bot.tick(timedelta(minutes=11))
    [told] = to(said, "何伟")
    assert "没有选是哪一类，已超时未提交" in told.text and "上报 2栋" in told.text
    assert await bot.say("何伟", "1") == []  # a late answer files nothing
    async with bot.db.unit_of_work() as uow:
        reporter = await uow.people.find_by_name(name="何伟")
        assert reporter is not None
        assert await uow.reports.active_of_reporter(person_id=reporter.id) == []


async def test_an_unanswered_offer_to_report_ends_in_silence(bot: Bot) -> None:
    """「不是请忽略」: not answering 'shall I report this?' is an answer; nobody is told."""
    await bot.dm("王辉", "3栋电梯里停了电瓶车")
    assert [s for s in await bot.tick(timedelta(minutes=11)) if s.where == "王辉"] == []
