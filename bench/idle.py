"""Statements an idle `linli run` runs: Telegram polling a local fake Bot API, nothing due.

`python -m bench.idle [seconds] [settle]` counts every statement SQLAlchemy sends (its
`before_cursor_execute` event) over that many idle seconds, starting `settle` seconds after
start-up (once its first look at what is due is done), and prints the count per statement."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from bot.config import parse_config
from bot.runtime import run_platforms
from tests.fake_telegram import FakeBotApi
from tests.fakes import example_raw


def _shape(statement: str) -> str:
    """A statement's first words, without its literals: what kind of statement it is."""
    return re.sub(r"\s+", " ", statement).strip()[:90]


async def idle_statements(seconds: float = 60.0, settle: float = 20.0) -> dict[str, Any]:
    """`linli run` on the demo community, idle for `seconds`: the statements it ran."""
    import tomli_w

    seen: Counter[str] = Counter()
    counting = False

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if counting:
            seen[_shape(statement)] += 1

    event.listen(sa.Engine, "before_cursor_execute", count)
    fake = FakeBotApi()
    await fake.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            raw = example_raw()
            raw["storage"] = {"url": f"sqlite:///{Path(tmp) / 'idle.db'}"}
            raw["telegram"] = {"enabled": True, "token": "123:IDLE", "base_url": fake.base_url}
            raw["ops"] = {"port": 0}
            cfg = parse_config(tomli_w.dumps(raw), "idle.toml", environ={})
            task = asyncio.create_task(run_platforms(cfg))
            try:
                while not fake.sent("getUpdates"):
                    await asyncio.sleep(0.05)
                await asyncio.sleep(settle)  # start-up's own work done
                counting = True
                await asyncio.sleep(seconds)
                counting = False
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    finally:
        event.remove(sa.Engine, "before_cursor_execute", count)
        await fake.stop()
    total = sum(seen.values())
    return {
        "seconds": seconds,
        "statements": total,
        "per_second": round(total / seconds, 2),
        "by_statement": dict(seen.most_common()),
    }


if __name__ == "__main__":
    secs = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    settle = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
    print(json.dumps(asyncio.run(idle_statements(secs, settle)), ensure_ascii=False, indent=2))
