from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import Config
from handlers.clock import ManualClock
from storage import Database
from tests.fake_telegram import FakeBotApi
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
async def fake(clock: ManualClock) -> AsyncIterator[FakeBotApi]:
    """A fake Telegram Bot API on 127.0.0.1, stamping calls with the test's clock."""
    server = FakeBotApi(now=clock.now)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def cfg(database_url: str, tmp_path: Path) -> Config:
    cfg = example_config(tmp_path / "unused.db")  # the test's own exports folder, beside it
    return cfg.model_copy(update={"storage": cfg.storage.model_copy(update={"url": database_url})})


@pytest.fixture
async def bot(cfg: Config, clock: ManualClock) -> AsyncIterator[Bot]:
    async with Database(cfg.storage.url) as db:
        b = Bot(cfg, clock, db)
        await b.app.start()
        yield b


# --- backends: the domain suites run on SQLite and on PostgreSQL ------------------------------

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def _postgres_reachable() -> bool:
    import socket as _s

    try:
        with _s.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


POSTGRES = _postgres_reachable()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Modules that set BOTH_BACKENDS = True run every test on SQLite and on PostgreSQL."""
    if "backend" in metafunc.fixturenames:
        both = getattr(metafunc.module, "BOTH_BACKENDS", False)
        metafunc.parametrize("backend", ["sqlite", "postgresql"] if both else ["sqlite"])


def pytest_report_header() -> str:
    return "PostgreSQL at 127.0.0.1:5432: " + (
        "reachable — the storage suites run on it too"
        if POSTGRES
        else "NOT reachable — the PostgreSQL half of the suites is skipped"
    )


@contextlib.asynccontextmanager
async def fresh_postgres() -> AsyncIterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards."""
    if not POSTGRES:
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    import uuid

    import asyncpg

    name = f"linli_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN.replace("postgresql://", "postgres://"))
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database of the backend: a SQLite file, or a PostgreSQL database."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'linli.db'}"
        return
    async with fresh_postgres() as url:
        yield url


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database (skipped when there is no server)."""
    async with fresh_postgres() as url:
        yield url
