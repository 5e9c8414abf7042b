"""Config validation: the file, the key path and the reason, before anything starts."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.config import ConfigError, load_config, parse_config
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
