"""The cost of one Bot API call: python-telegram-bot's own HTTPXRequest against linli's
AiohttpRequest (bot/adapters/telegram_request.py), each sending the same sendMessage calls
to the local fake Bot API, one at a time and eight at once, in interleaved rounds.

CPU per call is the process's CPU time (the fake server runs in it too, the same in both:
compare the two, not the absolute figure) over the calls."""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest

from bot.adapters.telegram_request import AiohttpRequest
from tests.fake_telegram import FakeBotApi


def request_of(kind: str) -> BaseRequest:
    if kind == "httpx":
        return HTTPXRequest(connection_pool_size=256)
    return AiohttpRequest(pool=256, timeout=10.0)


async def calls(kind: str, n: int, concurrency: int) -> dict[str, Any]:
    fake = FakeBotApi()
    await fake.start()
    try:
        async with Bot("123:BENCH", base_url=fake.base_url, request=request_of(kind)) as bot:

            async def sender(k: int) -> None:
                for i in range(k, n, concurrency):
                    text = f"【隐患上报 H{i}】\n地点：3栋\n内容：楼道飞线充电 第{i}号"
                    await bot.send_message(chat_id=1000 + i % 50, text=text)

            await sender(0)  # warm: connections open, code paths taken
            cpu, wall = time.process_time(), time.perf_counter()
            await asyncio.gather(*(sender(k) for k in range(concurrency)))
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await fake.stop()
    return {
        "request": kind,
        "concurrency": concurrency,
        "calls": n,
        "cpu_ms_per_call": round(1000 * cpu / n, 3),
        "calls_per_s": round(n / wall),
    }


async def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    out = []
    print(f"{'request':>8} {'at once':>8} {'calls':>6} {'CPU ms/call':>12} {'calls/s':>8}")
    for _ in range(args.rounds):
        for kind in ("httpx", "aiohttp"):
            for concurrency in (1, 8):
                r = await calls(kind, args.calls, concurrency)
                out.append(r)
                print(
                    f"{r['request']:>8} {r['concurrency']:>8} {r['calls']:>6} "
                    f"{r['cpu_ms_per_call']:>12} {r['calls_per_s']:>8}"
                )
    return out


if __name__ == "__main__":
    asyncio.run(main())
