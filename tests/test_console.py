"""End to end: the `linli console` command with a scripted session, as `make run` runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.fakes import EXAMPLE, ROOT

SCRIPT = "王辉: 上报 3栋 楼道飞线充电\n李娜> 接单 H1\n李娜> 办结 H1 已清理\n"


def console(db: Path, script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "console",
            "--config",
            str(EXAMPLE),
            "--db",
            str(db),
            "--start",
            "2026-11-26T09:00",
        ],
        input=script,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_scripted_session_shows_the_whole_report_life_cycle(tmp_path: Path) -> None:
    run = console(tmp_path / "demo.db", SCRIPT)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    group = [line for line in lines if line.startswith("[群]")]
    assert len(group) == 1 and "H1" in group[0] and "李娜" in group[0]
    alert = lines.index(
        next(line for line in lines if line.startswith("[私聊 李娜] 【隐患上报 H1】"))
    )
    assert "    [接单 H1] [办结 H1]" in lines[alert : alert + 10]
    to_reporter = [line for line in lines if line.startswith("[私聊 王辉]")]
    assert len(to_reporter) == 2
    assert "接单" in to_reporter[0] and "已清理" in to_reporter[1]
    assert run.stderr == ""


def test_restart_on_the_same_database_keeps_everything(tmp_path: Path) -> None:
    db = tmp_path / "keep.db"
    assert console(db, "王辉: 上报 3栋 楼道飞线充电\n").returncode == 0
    run = console(db, "王辉> 我的\n王辉: 上报 5栋 楼道堆物\n")
    assert run.returncode == 0, run.stderr
    mine = next(line for line in run.stdout.splitlines() if line.startswith("[私聊 王辉]"))
    assert "未办结" in mine
    assert "H1" in run.stdout and "H2" in run.stdout


def test_tick_escalates_and_bad_lines_get_a_hint(tmp_path: Path) -> None:
    run = console(
        tmp_path / "tick.db", "王辉: 上报 3栋 楼道飞线充电\n/tick 31m\nnonsense\n/tick x\n"
    )
    assert run.returncode == 0, run.stderr
    assert any(
        line.startswith("[私聊 张正芳] 【超时未接单 H1】") for line in run.stdout.splitlines()
    )
    assert "（格式：" in run.stdout and "（用法：/tick" in run.stdout


def test_a_scheduled_notice_is_posted_at_its_time(tmp_path: Path) -> None:
    script = "朱东> 通知 每天 10:00 {社区}今日消防提醒\n/tick 59m\n/tick 1m\n朱东> 通知列表\n"
    run = console(tmp_path / "notice.db", script)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "已安排通知 A2：每天 10:00，下次 11月26日 10:00" in out  # A1: the demo's weekly one
    before, after = out.split("（时间前进到 2026-11-26 10:00）")
    assert "[群] 香樟雅苑今日消防提醒" not in before
    assert after.splitlines()[1] == "[群] 香樟雅苑今日消防提醒"
    assert "A2 每天 10:00 → 全部群【进行中】下次：11月27日 10:00" in after


def test_after_deleting_ones_data_no_log_lines_and_no_false_notice(tmp_path: Path) -> None:
    run = console(
        tmp_path / "gone.db",
        "王辉: 上报 3栋 楼道飞线充电\n王辉> 删除我的信息 确认\n李娜> 办结 H1 已清理\n",
    )
    assert run.returncode == 0, run.stderr
    assert "WARNING" not in run.stdout + run.stderr  # nothing internal in the chat
    done = next(line for line in run.stdout.splitlines() if line.startswith("[私聊 李娜] 已办结"))
    assert "已通知上报人" not in done and "没有通知到任何人" in done


def test_the_console_resumes_at_the_time_the_database_reached(tmp_path: Path) -> None:
    db = tmp_path / "time.db"
    first = console(db, SCRIPT.replace("李娜> 办结", "/tick 3d\n李娜> 办结"))
    assert first.returncode == 0, first.stderr
    run = console(db, "王辉> 不满意 还在\n李娜> 办结 H1 再次清理\n王辉> H1\n")  # --start 11-26
    assert run.returncode == 0, run.stderr
    assert "（数据库的时间已到 2026-11-29 09:00，从那里继续）" in run.stdout
    history = [line.strip() for line in run.stdout.splitlines() if line.startswith("    11月")]
    times = [line[:12] for line in history]  # 11月29日 09:00
    assert times == sorted(times) and history[-1].startswith("11月29日 09:00 办结")
