"""End to end: `linli web`, the workbench beside the console chat, as a person runs it — a
resident reports in the terminal, a grid worker logs in with the code printed as the bot's
private message and takes the report on the page, the resident's answer is printed."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from pathlib import Path

import aiohttp

from tests.fakes import free_port
from tests.web_support import CODE, CSRF

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"


async def test_linli_web_serves_the_workbench_beside_the_console(tmp_path: Path) -> None:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "web",
        "--config",
        str(EXAMPLE),
        "--db",
        str(tmp_path / "web.db"),
        "--port",
        str(port),
        "--start",
        "2026-11-26T09:00",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("王辉: 上报 3栋 楼道飞线充电\n".encode())
    await proc.stdin.drain()
    proc.stdin.close()
    printed: list[str] = []

    async def until_printed(pattern: str) -> re.Match[str]:
        """Read the terminal until a line matches (within 30 s)."""
        async with asyncio.timeout(30):
            while True:
                for line in printed:
                    if m := re.search(pattern, line):
                        return m
                raw = await proc.stdout.readline()  # type: ignore[union-attr]
                assert raw, "linli web stopped: " + "".join(printed)
                printed.append(raw.decode())

    try:
        base = (await until_printed(r"社区工作台：(http://\S+?)/"))[1]
        assert base == f"http://127.0.0.1:{port}"
        await until_printed(r"输入已结束")
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:

            async def token(path: str) -> str:
                async with http.get(base + path) as r:
                    m = CSRF.search(await r.text())
                    assert m
                    return m.group(1)

            csrf = await token("/login")
            async with http.post(base + "/login/code", data={"name": "李娜", "csrf": csrf}) as r:
                assert r.status == 200
            code = (await until_printed(CODE.pattern))[1]
            form = {"name": "李娜", "code": code, "csrf": csrf}
            async with http.post(base + "/login/verify", data=form) as r:
                assert r.status == 200 and "今日" in await r.text()
            async with http.post(
                base + "/reports/1/ack", data={"csrf": await token("/reports/1")}
            ) as r:
                assert "已接单 H1" in await r.text()
        await until_printed(r"\[私聊 王辉\] 您上报的隐患 H1（3栋：楼道飞线充电）已由李娜接单")
    finally:
        proc.send_signal(signal.SIGINT)
        async with asyncio.timeout(30):
            rc = await proc.wait()
    assert rc == 0
