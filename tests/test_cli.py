"""The `linli` command on bad input: one line in Chinese and English, exit status 2, and
no database made where one was to be read."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from storage import Database

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main([*argv])
    return status, capsys.readouterr().err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err  # no traceback
    return lines[0]


def test_a_missing_database_is_an_error_and_is_not_created(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "s" / "nonexist.db"
    out = tmp_path / "bk2.db"
    config = ("--config", str(EXAMPLE), "--db", str(missing))
    status, err = run(capsys, "backup", *config, "--out", str(out))
    assert status == 2 and "数据库文件不存在" in one_line(err) and "no such database" in err
    assert not out.exists()
    status, err = run(
        capsys, "migrate-data", "--from", f"sqlite:///{missing}", "--to", f"sqlite:///{out}"
    )
    assert status == 2 and "no such database file" in one_line(err)
    for argv in (("stats",), ("export", "reports"), ("export", "meals", "--date", "2026-12-01")):
        status, err = run(capsys, *argv, *config)
        assert status == 2 and "数据库文件不存在" in one_line(err), argv
    assert not missing.exists() and not missing.parent.exists() and not out.exists()


def test_a_file_that_is_not_linlis_database_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    status, err = run(
        capsys, "backup", "--config", str(EXAMPLE), "--db", str(empty), "--out", str(tmp_path / "b")
    )
    assert status == 2 and "not a linli database" in one_line(err)
    assert empty.stat().st_size == 0


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (("stats", "--month", "2026-13"), ("看不懂月份", "not a month")),
        (("export", "reports", "--month", "xx"), ("看不懂月份", "not a month")),
        (("export", "meals", "--date", "明天"), ("看不懂日期", "not a date")),
        (("export", "meals"), ("--date",)),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: tuple[str, ...], words: tuple[str]
) -> None:
    db = tmp_path / "linli.db"

    async def create() -> None:
        async with Database(f"sqlite:///{db}"):
            pass

    asyncio.run(create())
    status = main([*argv, "--config", str(EXAMPLE), "--db", str(db)])
    line = one_line(capsys.readouterr().err)
    assert status == 2 and all(w in line for w in words)
