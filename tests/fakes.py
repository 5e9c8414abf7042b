"""Shared fakes and factories: messages, people, a recording adapter, a bot harness."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import tomllib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import tomli_w

from bot.adapters.base import DeliveryFailed, Outbound, with_mentions
from bot.app import App
from bot.config import Config, parse_config
from bot.pacing import Pacer
from handlers.chat import ChatKind, Incoming
from handlers.clock import ManualClock
from storage import Database

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config.example.toml"
_ids = itertools.count(1)


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def until(ready: Callable[[], bool], timeout: float = 15.0) -> None:
    """Wait for something running on its own (a bot, a peer) to get there; fail after
    `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not ready():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("it did not get there in time")
        await asyncio.sleep(0.01)


def outbox_row(at: datetime) -> dict[str, Any]:
    """The parameters of one outbox INSERT (`storage.outbox._ENQUEUE`) as the repository
    passes them: a group answer with buttons, one of them an answer to a question; the
    column `maybe_sent` left to its default."""
    return {
        "platform": "telegram",
        "chat_id": "-100",
        "is_group": True,
        "person_id": None,
        "text": "收到，已转给网格员",
        "buttons": [["已处理", "done 1"], ["是", "yes 1", True]],
        "photo": None,
        "mention": None,
        "mention_id": None,
        "pin": False,
        "document": None,
        "status": "pending",
        "attempts": 0,
        "not_before": at,
        "created_at": at,
    }


def example_config(db_path: Path) -> Config:
    """The demo config, on a SQLite file of the test's own."""
    return config_from(example_raw(), db_path)


def example_raw() -> dict[str, Any]:
    """The demo config as a plain dict, to change before validating; without its scheduled
    notices, so that a test sees only what it does itself."""
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    raw.pop("announcements", None)
    return raw


def config_from(raw: dict[str, Any], db_path: Path) -> Config:
    """A validated config from a dict, on a SQLite file of the test's own."""
    # the test's own exports folder: beside a relative "test.toml" they would all share one
    exports = Path(raw.get("exports_dir", "exports"))
    if not exports.is_absolute():
        exports = db_path.parent / exports
    raw = {**raw, "exports_dir": str(exports), "storage": {"url": f"sqlite:///{db_path}"}}
    return parse_config(tomli_w.dumps(raw), "test.toml", environ={})


def incoming(
    name: str,
    text: str,
    *,
    at: datetime,
    private: bool = False,
    platform: str = "console",
    message_id: str | None = None,
    attachments: tuple[str, ...] = (),
    action: str | None = None,
) -> Incoming:
    """A message from `name`, in the group or in private."""
    return Incoming(
        platform=platform,
        chat_id=name if private else "group",
        chat_kind=ChatKind.PRIVATE if private else ChatKind.GROUP,
        sender_id=name,
        sender_name=name,
        text=text,
        message_id=message_id or f"m{next(_ids)}",
        at=at,
        attachments=attachments,
        action=action,
    )


@dataclass
class RecordingAdapter:
    """Keeps what it was asked to send; can be told to fail."""

    platform: str = "console"
    pacer: Pacer | None = None
    max_text: int = 4096
    sent: list[Outbound] = field(default_factory=list)
    fail_with: DeliveryFailed | None = None
    calls: int = 0

    async def send(self, message: Outbound) -> None:
        self.calls += 1
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(message)


@dataclass(frozen=True)
class Said:
    """One delivered message as a reader sees it."""

    where: str  # "群" or the private chat's person
    text: str
    buttons: tuple[str, ...]


class Bot:
    """The real App on a real SQLite file, with a recording adapter and a hand-moved clock."""

    def __init__(self, cfg: Config, clock: ManualClock, db: Database) -> None:
        self.cfg = cfg
        self.clock = clock
        self.db = db
        self.adapter = RecordingAdapter()
        self.app = App(cfg, db, clock, {"console": self.adapter}, platforms=("console",))
        self._seen = 0

    async def say(self, name: str, text: str, **kw: object) -> list[Said]:
        """`name` writes in the group; returns what the bot sent because of it."""
        await self.app.handle(incoming(name, text, at=self.clock.now(), **kw))  # type: ignore[arg-type]
        return await self.flush()

    async def dm(self, name: str, text: str, **kw: object) -> list[Said]:
        """`name` writes to the bot privately; returns what the bot sent because of it."""
        return await self.say(name, text, private=True, **kw)

    async def tick(self, delta: timedelta) -> list[Said]:
        """Move the clock, run what fell due, deliver; returns what was sent."""
        await self.app.advance(self.clock, delta)
        return await self.flush()

    async def flush(self) -> list[Said]:
        await self.app.sender.drain()
        new = self.adapter.sent[self._seen :]
        self._seen = len(self.adapter.sent)
        return [
            Said(
                "群" if d.is_group else d.chat_id,
                # a merged message as read, each answer with its @-mention
                with_mentions(d, lambda name: f"@{name} ") if len(d.parts) > 1 else d.text,
                tuple(b.action for b in d.buttons),
            )
            for d in new
        ]


def to(said: list[Said], where: str) -> list[Said]:
    """The messages among `said` that went to `where`."""
    return [s for s in said if s.where == where]


@contextlib.asynccontextmanager
async def read_only(db: Database) -> AsyncIterator[None]:
    """Every connection of the bot's pool refuses writes ("attempt to write a readonly
    database"), as SQLite does for a read-only file. (The kernel refuses to remount the
    filesystem read-only while the database is open for writing: "mount point is busy".)"""
    refusing = True

    @sa.event.listens_for(db.engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        if refusing:
            dbapi_connection.execute("PRAGMA query_only=ON")

    await db.engine.dispose()  # the idle connections reopen with it
    try:
        yield
    finally:
        refusing = False
        await db.engine.dispose()
