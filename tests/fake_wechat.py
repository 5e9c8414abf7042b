"""The Node puppet-service peer (tests/wechat_peer/server.js), started and stopped by tests."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path
from typing import Any

import aiohttp

from tests.fakes import free_port

PEER_DIR = Path(__file__).resolve().parent / "wechat_peer"
ROOM = "r1@chatroom"
OTHER_ROOM = "r2@chatroom"
BOT_ID = "wxid_linli_bot"


class Peer:
    """A puppet-service gateway around wechaty-puppet-mock, on 127.0.0.1."""

    def __init__(self, token: str, people: dict[str, str]) -> None:
        if not (PEER_DIR / "node_modules").is_dir():
            raise RuntimeError(
                "the WeChat test peer's npm packages are missing: run `make test`, which "
                "installs them (npm ci --ignore-scripts in tests/wechat_peer)"
            )
        self.token = token
        self.people = people  # contact id -> name
        self.port = free_port()
        self.control_port = free_port()
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        env = {
            **os.environ,
            "PEER_PORT": str(self.port),
            "CONTROL_PORT": str(self.control_port),
            "PEER_TOKEN": self.token,
            "PEER_PEOPLE": json.dumps([{"id": i, "name": n} for i, n in self.people.items()]),
            "PEER_ROOMS": json.dumps(
                [{"id": ROOM, "topic": "香樟雅苑业主群"}, {"id": OTHER_ROOM, "topic": "别的群"}]
            ),
            "WECHATY_LOG": "silent",
        }
        self._proc = await asyncio.create_subprocess_exec(
            "node",
            "server.js",
            cwd=PEER_DIR,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        assert self._proc.stdout is not None
        line = await asyncio.wait_for(self._proc.stdout.readline(), 30)
        if b"READY" not in line:
            raise RuntimeError(f"the WeChat test peer did not start: {line!r}")

    async def kill(self) -> None:
        """Gone at once, as a crashed gateway is."""
        if self._proc is not None and self._proc.returncode is None:
            self._proc.send_signal(signal.SIGKILL)
            await self._proc.wait()
        self._proc = None

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        url = f"http://127.0.0.1:{self.control_port}{path}"
        async with aiohttp.ClientSession() as http, http.request(method, url, json=body) as r:
            r.raise_for_status()
            return await r.json(content_type=None)

    async def say(self, who: str, to: str, text: str, mention: list[str] | None = None) -> None:
        """A contact writes in a room or to a contact (the bot, for a private message)."""
        await self._call(
            "POST", "/say", {"from": who, "to": to, "text": text, "mention": mention or []}
        )

    async def sent(self) -> list[dict[str, Any]]:
        """What the bot has sent through this gateway process."""
        result: list[dict[str, Any]] = await self._call("GET", "/sent")
        return result

    async def bogus(self) -> None:
        """A message event whose message the gateway cannot give."""
        await self._call("POST", "/bogus")

    async def logout(self) -> None:
        await self._call("POST", "/logout")

    async def login(self) -> None:
        await self._call("POST", "/login")
