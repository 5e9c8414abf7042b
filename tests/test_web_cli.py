"""End to end: `linli web`, the workbench beside the console chat, as a person runs it — a
resident reports in the terminal, a grid worker logs in with the code printed as the bot's
private message and takes the report on the page, the resident's answer is printed."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sys
from pathlib import Path

import aiohttp

from bot.runtime import run_platforms
from tests.fake_telegram import FakeBotApi
from tests.fakes import config_from, free_port, until
from tests.test_telegram import LINA, telegram_raw
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


async def test_linli_run_serves_the_workbench_and_sends_codes_on_telegram(
    tmp_path: Path, fake: FakeBotApi
) -> None:
    """`linli run` with [web] enabled: the code reaches the grid worker's Telegram chat."""
    port = free_port()
    raw = telegram_raw(base_url=fake.base_url)
    raw["web"] = {"enabled": True, "port": port, "secret": "run-secret"}
    cfg = config_from(raw, tmp_path / "run.db")
    running = asyncio.create_task(run_platforms(cfg))
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:

            async def login_page() -> str | None:
                try:
                    async with http.get(base + "/login") as r:
                        return await r.text()
                except aiohttp.ClientConnectionError:
                    return None

            async with asyncio.timeout(30):
                while (page := await login_page()) is None:
                    await asyncio.sleep(0.05)  # until linli run has bound its port
            m = CSRF.search(page)
            assert m
            async with http.post(base + "/login/code", data={"name": "李娜", "csrf": m[1]}) as r:
                assert r.status == 200
            await until(lambda: any(CODE.search(c.params["text"]) for c in fake.to_chat(LINA)))
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
