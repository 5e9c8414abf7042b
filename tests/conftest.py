from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import Config
from handlers.clock import ManualClock
from storage import Database
from tests.fakes import Bot, example_config

SHANGHAI = ZoneInfo("Asia/Shanghai")

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> None:
    host = address[0] if isinstance(address, tuple) else address
    if self.family in (socket.AF_INET, socket.AF_INET6) and not (
        isinstance(host, str) and (host.startswith("127.") or host in ("::1", "localhost"))
    ):
        raise RuntimeError(f"test tried to reach the network: {address!r}")
    _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection beyond loopback fails the test."""
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI))


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    return example_config(tmp_path / "linli.db")


@pytest.fixture
async def bot(cfg: Config, clock: ManualClock) -> AsyncIterator[Bot]:
    async with Database(cfg.storage.url) as db:
        b = Bot(cfg, clock, db)
        await b.app.start()
        yield b
