"""The registry: slash commands, keywords, @mentions, chatter, and places in text."""

from __future__ import annotations

import pytest

from handlers.context import Context
from handlers.places import chinese_number, find_place
from handlers.registry import Command, Registry, has_control_chars


async def _noop(ctx: Context, args: str) -> None:
    return None


def command(name: str, *keywords: str, takes_args: bool = True) -> Command:
    return Command(name, keywords, (name,), _noop, "", "", takes_args=takes_args)


@pytest.fixture
def registry() -> Registry:
    r = Registry(["小区助手"])
    r.add(command("meal", "报餐"), command("meal_cancel", "取消报餐"))
    r.add(command("my", "我的", takes_args=False), command("report", "上报", "隐患"))
    return r


@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        ("上报 3栋 楼道飞线充电", "report", "3栋 楼道飞线充电"),
        ("上报3栋楼道飞线充电", "report", "3栋楼道飞线充电"),
        ("上报：3栋 飞线", "report", "3栋 飞线"),
        ("隐患 5栋 堆物", "report", "5栋 堆物"),
        ("@小区助手 上报 3栋 飞线", "report", "3栋 飞线"),
        ("@小区助手\u2005上报 3栋 飞线", "report", "3栋 飞线"),
        ("/report 3栋 飞线", "report", "3栋 飞线"),
        ("/report@小区助手 3栋 飞线", "report", "3栋 飞线"),
        ("/REPORT 3栋", "report", "3栋"),
        ("取消报餐 明天", "meal_cancel", "明天"),
        ("报餐 明天", "meal", "明天"),
        ("我的", "my", ""),
        ("我的。", "my", ""),
    ],
)
def test_match(registry: Registry, text: str, name: str, args: str) -> None:
    found = registry.match(text)
    assert found is not None and found.command is not None
    assert (found.command.name, found.args) == (name, args)


@pytest.mark.parametrize("text", ["今天天气好", "我的车在哪", "", "  ", "/report@other_bot x"])
def test_chatter_is_no_command(registry: Registry, text: str) -> None:
    assert registry.match(text) is None


def test_unknown_slash_command_is_reported_as_unknown(registry: Registry) -> None:
    found = registry.match("/nope x")
    assert found is not None and found.command is None and found.word == "/nope"


def test_a_keyword_or_slash_name_twice_fails_at_start(registry: Registry) -> None:
    with pytest.raises(ValueError, match="报餐"):
        registry.add(command("other", "报餐"))
    with pytest.raises(ValueError, match="/my"):
        registry.add(Command("x", (), ("my",), _noop, "", ""))


def test_control_characters() -> None:
    assert has_control_chars("a\x00b") and has_control_chars("\x1b[31m")
    assert not has_control_chars("第一行\n第二行\t完")


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("3栋 楼道飞线充电", "3栋"),
        ("3号楼 楼道", "3栋"),
        ("3幢", "3栋"),
        ("3# 门口", "3栋"),
        ("三栋", "3栋"),
        ("三号楼", "3栋"),
        ("第3栋", "3栋"),
        ("十二号楼", "12栋"),
        ("楼道堆物，在5号楼2单元", "5栋2单元"),
        ("3栋2单元501", "3栋2单元501"),
        ("3栋2-501", "3栋2单元501"),
        ("3-2-501 烟感坏了", "3栋2单元501"),
        ("b3 电梯坏了", "3栋"),
    ],
)
def test_places(text: str, label: str) -> None:
    place = find_place(text, {"B3": "3栋"})
    assert place is not None and place.label == label


@pytest.mark.parametrize("text", ["楼道飞线充电", "12月3号", "3楼", "2号"])
def test_no_place(text: str) -> None:
    assert find_place(text) is None


def test_chinese_numbers() -> None:
    assert [chinese_number(t) for t in ("三", "十", "十二", "二十", "二十三", "两")] == [
        3,
        10,
        12,
        20,
        23,
        2,
    ]
    assert chinese_number("三三三") is None and chinese_number("abc") is None
