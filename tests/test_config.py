"""Config validation: the file, the key path and the reason, before anything starts."""

from __future__ import annotations

import copy
import re
import tomllib
from datetime import date, time
from typing import Any

import pytest
from pydantic import ValidationError

from bot.cli import main
from bot.config import ConfigError, load_config, parse_config, validate_config
from handlers.settings import Policy, Settings
from tests.fakes import EXAMPLE

BASE = """
buildings = ["1栋", "2栋"]
[community]
name = "测试小区"
[[people]]
name = "李娜"
roles = ["grid_worker"]
"""


def problems(text: str, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "c.toml", environ or {})
    return [f"{p.path}: {p.reason}" for p in info.value.problems]


def test_example_config_is_valid() -> None:
    cfg = load_config(EXAMPLE, environ={})
    assert cfg.community.name == "香樟雅苑" and cfg.community.timezone == "Asia/Shanghai"
    assert [g.workers for g in cfg.grids] == [["李娜"], ["陈刚"]]
    names = {p.name for p in cfg.people}
    assert {"王辉", "郭先德", "张正芳", "朱东", "刘师傅"} <= names
    assert cfg.person("郭先德").lives_alone


def test_unknown_key_is_named_with_its_path() -> None:
    found = problems(BASE + 'colour = "red"\n')
    assert found == ["people[0].colour: unknown key"]


def test_wrong_type_is_named_with_its_path() -> None:
    found = problems(BASE.replace('name = "测试小区"', 'name = "测试小区"\ntimezone = "Mars/Base"'))
    assert found == ["community.timezone: Value error, unknown time zone 'Mars/Base'"]
    found = problems(BASE + '[reports]\nack_minutes = "soon"\n')
    assert found[0].startswith("reports.ack_minutes: ")


def test_unknown_worker_and_building_in_two_grids() -> None:
    text = (
        BASE
        + """
[[grids]]
name = "一"
buildings = ["1栋", "2栋"]
workers = ["李四"]
[[grids]]
name = "二"
buildings = ["2栋", "9栋"]
workers = ["李娜"]
"""
    )
    assert problems(text) == [
        "grids[0].workers[0]: unknown person '李四' (not in [[people]])",
        "grids[1].buildings[0]: '2栋' is already in grid '一'",
        "grids[1].buildings[1]: unknown building '9栋' (not in buildings)",
    ]


def test_worker_needs_the_grid_worker_role() -> None:
    text = BASE + '[[people]]\nname = "王辉"\n[[grids]]\nname = "一"\nbuildings = ["1栋"]\n'
    text += 'workers = ["王辉"]\n'
    assert problems(text) == ["grids[0].workers[0]: '王辉' does not have the role grid_worker"]


@pytest.mark.parametrize(
    ("building", "why"),
    [
        ("１栋", "'１栋' is not in the canonical form: write '1栋'"),
        ("1号楼", "'1号楼' is not in the canonical form: write '1栋'"),
        ("1栋楼", "'1栋楼' is not in the canonical form: write '1栋'"),
        ("东区", "'东区' cannot be recognised in a report"),
    ],
)
def test_buildings_are_written_as_reports_name_them(building: str, why: str) -> None:
    """Else every report of that building would go to 社区 as an unknown building."""
    [found] = problems(BASE.replace('"1栋", "2栋"', f'"{building}", "2栋"'))
    assert found.startswith(f"buildings[0]: {why}")
    text = BASE.replace('"1栋", "2栋"', '"1栋", "东区"') + '[building_aliases]\n"东区" = "东区"\n'
    parse_config(text, "c.toml", {})  # a name the parser cannot read, reached by its alias


def test_a_cycle_of_leaders_is_refused() -> None:
    text = BASE + "".join(
        f'[[people]]\nname = "{name}"\nleader = "{leader}"\n'
        for name, leader in (("孙阿姨", "周组长"), ("周组长", "孙阿姨"), ("王辉", "孙阿姨"))
    )
    assert problems(text) == ["people[1].leader: a cycle of leaders: 孙阿姨 → 周组长 → 孙阿姨"]
    assert problems(BASE + '[[people]]\nname = "孙阿姨"\nleader = "孙阿姨"\n') == [
        "people[1].leader: a cycle of leaders: 孙阿姨 → 孙阿姨"
    ]


def test_syntax_error_and_missing_file() -> None:
    assert problems("[community\n")[0].startswith("(syntax): ")
    with pytest.raises(ConfigError) as info:
        load_config("/nonexistent/linli.toml")
    assert str(info.value).startswith("/nonexistent/linli.toml: (file): ")


def test_secrets_from_the_environment() -> None:
    text = BASE + "[telegram]\nenabled = true\n"
    assert problems(text) == [
        "telegram.token: required when telegram.enabled (or set LINLI_TELEGRAM_TOKEN)"
    ]
    cfg = parse_config(text, "c.toml", {"LINLI_TELEGRAM_TOKEN": "123:abc"})
    assert cfg.telegram.token == "123:abc"


def test_check_config_command(capsys: pytest.CaptureFixture[str], tmp_path: object) -> None:
    assert main(["check-config", str(EXAMPLE)]) == 0
    assert "OK" in capsys.readouterr().out
    bad = EXAMPLE.parent / "tests" / "_bad.toml"
    bad.write_text(BASE + "nonsense = 1\n", encoding="utf-8")
    try:
        assert main(["check-config", str(bad)]) == 2
        err = capsys.readouterr().err
        assert f"{bad}: people[0].nonsense: unknown key" in err
    finally:
        bad.unlink()


# Top-level keys of the file that the bot reads itself (storage, platforms, seeding the
# database); every other key is policy and must reach the settings handlers are given.
BOT_ONLY = {
    "storage",
    "buildings",
    "grids",
    "people",
    "households",
    "announcements",
    "ops",
    "chats",
    "web",
    "console",
    "telegram",
    "wechat",
    "voice",
}
DROP = object()  # the key left out
# changed values for leaves a generic change would make invalid (a reference, a pattern)
CHANGED: dict[str, Any] = {
    "buildings": ["1栋", "2栋", "3栋", "4栋", "5栋", "6栋", "7栋", "8栋", "9栋"],
    "community.timezone": "Asia/Tokyo",
    "building_aliases.B3": "4栋",
    "storage.url": "sqlite:///other.db",
    "web.public_url": "https://gzt.example.org",
    "people[*].name": None,  # a name others refer to: its references change with it
    "people[*].roles": lambda roles: [*roles, "admin"],
    "people[*].address": "1栋1单元101",
    "people[*].leader": lambda leader: "朱东" if leader == "张正芳" else "张正芳",
    "grids[*].buildings": None,  # a building in another grid: covered by the buildings key
    "grids[*].workers": [],
    "households[*].address": "1栋1单元101",
    "households[*].members": [],
    "households[*].lead": DROP,  # the one 邻长 of the example: without one
    "services[*].provider": "王辉",
    "reports.recheck_categories": ["楼道堆物"],
    "announcements[*].schedule": "每周六 19:00",
    "chats.serve": "any",
    "groups[*].platform": "wechat",
    "groups[*].buildings": ["3栋"],
    "console.buildings": ["3栋"],
    "reports.categories[*].also_roles": ["community"],
    "announcement_settings.quiet_hours": "23:00-07:00",
    "telegram.mode": "webhook",
    "wechat.endpoint": "127.0.0.1:8789",
}


_COMMENTED_KEY = re.compile(r"# (\[{1,2}[a-z_.]+\]{1,2}\s*$|[a-z_\"][\w\"]*\s*=\s*\S.*)")


def _uncommented(text: str) -> str:
    """The example with its commented-out keys and tables (# quiet_hours = …) put in."""
    return "\n".join(
        m.group(1) if (m := _COMMENTED_KEY.fullmatch(line)) else line for line in text.splitlines()
    )


def _leaves(node: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every leaf key of a TOML table (a list of plain values is one leaf)."""
    if isinstance(node, dict):
        return [leaf for k, v in node.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(node, list) and node and all(isinstance(x, dict) for x in node):
        return [leaf for i, v in enumerate(node) for leaf in _leaves(v, (*path, i))]
    return [path]


def _key(path: tuple[str | int, ...], star: bool = False) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += "[*]" if star else f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _changed(path: tuple[str | int, ...], value: Any) -> Any:
    for key in (_key(path), _key(path, star=True)):
        if key in CHANGED:
            new = CHANGED[key]
            return new(value) if callable(new) else new
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str) and re.fullmatch(r"\d{2}:\d{2}", value):
        return f"{value[:3]}{(int(value[3:]) + 1) % 60:02d}"
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, list):
        return [*value[1:], "新词"] if value else ["新词"]
    raise AssertionError(f"{_key(path)}: no change known for {value!r}")


def _at(node: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        node = (
            node[part] if isinstance(part, int) or isinstance(node, dict) else getattr(node, part)
        )
    return node


def test_every_key_of_the_example_reaches_a_setting() -> None:
    """Change each leaf of config.example.toml alone (the keys it shows commented out too):
    what handlers are given (or, for the bot's own sections, the loaded config) shows the new
    value. A key read into the model and dropped on the way to the handlers fails here, and
    so does a key the example documents that the config does not know."""
    raw = tomllib.loads(_uncommented(EXAMPLE.read_text(encoding="utf-8")))
    # what the example leaves to the environment, so that enabling a platform is valid
    raw["telegram"] |= {"token": "123:abc", "webhook_url": "https://bot.example.org/tg"}
    raw["wechat"]["token"] = "secret"
    for notice in raw["announcements"]:  # so that `rotate` may be turned off alone
        notice.setdefault("text", "提醒")
    platforms = ("telegram", "wechat")  # settings.groups are then the [[groups]]
    base = validate_config(copy.deepcopy(raw), "example")
    settings = base.settings(platforms=platforms)
    leaves = _leaves(raw)
    assert len(leaves) > 100
    checked = 0
    for path in leaves:
        new = _changed(path, _at(raw, path))
        if new is None:
            continue
        changed = copy.deepcopy(raw)
        if new is DROP:
            del _at(changed, path[:-1])[path[-1]]
        else:
            _at(changed, path[:-1])[path[-1]] = new
        cfg = validate_config(changed, "example")
        top = str(path[0])
        before: Policy
        after: Policy
        if top in Settings.model_fields:
            before, after = settings, cfg.settings(platforms=platforms)
        else:
            assert top in BOT_ONLY, f"{top}: neither a setting nor one of the bot's own keys"
            before, after = base, cfg
        assert _at(after, path) != _at(before, path), f"{_key(path)} did not reach the settings"
        checked += 1
    assert checked > 100


def test_settings_are_the_validated_models() -> None:
    """Handlers read the very models the file was validated into: frozen, nothing copied."""
    cfg = load_config(EXAMPLE, environ={})
    settings = cfg.settings(platforms=("console",))
    assert settings.reports is cfg.reports and settings.canteen is cfg.canteen
    assert settings.canteen.weekly_menu(date(2026, 11, 30), "lunch") == "红烧鸡块 清炒白菜 米饭"
    assert settings.canteen.cutoff("dinner") == time(15, 0)
    assert settings.announcement_settings.quiet_start is None
    with pytest.raises(ValidationError):
        settings.reports.ack_minutes = 1
    assert [g.name for g in settings.groups] == ["香樟雅苑业主群"]


@pytest.mark.parametrize(
    ("table", "why"),
    [
        ('[canteen]\nlunch_cutoff = "25:00"\n', "canteen.lunch_cutoff: Value error, not a time"),
        ("[network]\nduty_at = 9\n", "network.duty_at: Value error, not a time of day (HH:MM)"),
        ('[events]\nday_before_at = "8:00"\n', "events.day_before_at: Value error, not a time"),
        (
            '[canteen]\nweekly_lunch = { "周八" = "饺子" }\n',
            "canteen.weekly_lunch.周八: Value error, not a weekday (周一, 周二, … 周日)",
        ),
        (
            '[announcement_settings]\nquiet_hours = "22:00-24:30"\n',
            "announcement_settings.quiet_hours: Value error, not a time of day (HH:MM)",
        ),
    ],
)
def test_times_and_weekdays_are_checked_at_start(table: str, why: str) -> None:
    [found] = problems(BASE + table)
    assert found.startswith(why)


def test_references_across_tables_are_checked() -> None:
    text = (
        BASE
        + """
[building_aliases]
"B9" = "9栋"
[console]
buildings = ["8栋"]
[[groups]]
name = "业主群"
platform = "telegram"
chat_id = "-100"
buildings = ["7栋"]
[[announcements]]
key = "k"
schedule = "每周五 19:00"
text = "提醒"
groups = ["火星群"]
[[households]]
address = "1栋1单元101"
members = ["王五"]
lead = "李娜"
[[households]]
address = "2栋1单元101"
lead = "赵六"
[[services]]
name = "理发"
provider = "小林"
[[canteen.price_tiers]]
label = "老"
min_age = 80
max_age = 60
price = "8元"
"""
    )
    assert problems(text) == [
        "building_aliases.B9: unknown building '9栋' (not in buildings)",
        "announcements[0].groups[0]: unknown group '火星群' (not in [[groups]])",
        "groups[0].buildings[0]: unknown building '7栋' (not in buildings)",
        "console.buildings[0]: unknown building '8栋' (not in buildings)",
        "households[0].members[0]: unknown person '王五' (not in [[people]])",
        "households[0].lead: '李娜' does not have the role neighbor_lead",
        "households[1].lead: unknown person '赵六' (not in [[people]])",
        "services[0].provider: unknown person '小林' (not in [[people]])",
        "canteen.price_tiers[0]: min_age is above max_age",
    ]
