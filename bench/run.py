"""`make bench`: measure, print a table, write bench/results/latest.json."""

from __future__ import annotations

import asyncio
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

from bench import (
    footprint,
    hot_path,
    inbound,
    outbound,
    request_cost,
    sidebyside,
    stats_bench,
    voice,
    web_list,
)

RESULTS = Path(__file__).parent / "results"


async def main(quick: bool) -> dict[str, Any]:
    n = 2000 if quick else 10_000
    results: dict[str, Any] = {
        "machine": f"{platform.machine()} {platform.python_version()}",
        "when": time.strftime("%Y-%m-%d %H:%M"),
    }
    print("hot path …", flush=True)
    results["sql_statement"] = await hot_path.statement()
    results["sql_transaction"] = await hot_path.transaction()
    results["sql_insert_and_savepoint"] = await hot_path.direct()
    results["report_new_resident"] = await hot_path.reports()
    print("inbound …", flush=True)
    results["inbound"] = await inbound.throughput(n)
    results["inbound_offered_500"] = await inbound.offered(500, 4 if quick else 10)
    results["ptb_dispatch"] = await inbound.ptb_dispatch(n)
    print("outbound …", flush=True)
    results["outbound"] = await outbound.paced()
    results["burst_200_reports"] = await outbound.burst()
    print("one Bot API call, httpx against aiohttp …", flush=True)
    for r in await request_cost.main(["--rounds", "1"]):
        results[f"bot_api_call_{r['request']}_x{r['concurrency']}"] = r
    print("stats …", flush=True)
    results["stats"] = await stats_bench.monthly(100_000 if quick else 1_000_000)
    print("web workbench report list …", flush=True)
    results["web_report_list"] = await web_list.report_list(100_000)
    print("scheduler and footprint …", flush=True)
    results["scheduler"] = await footprint.scheduler_alone(2000 if quick else 10_000)
    results["idle"] = await footprint.idle()
    print("side by side with a plain bot, end to end …", flush=True)
    results["sidebyside"] = await sidebyside.sitting(
        [1000] if quick else [1000, 10_000], rounds=1, idle_seconds=30 if quick else 60
    )
    if voice.available():
        print("voice …", flush=True)
        found = await voice.run(60 if quick else 150)
        results["voice_cpu"] = found["cpu"]
        results["voice_text_alone"] = found["text_alone"]
        results["voice_text_during_clips"] = found["text_during_6_clips"]
    return results


def table(results: dict[str, Any]) -> str:
    lines = [f"linli benchmarks — {results['machine']} — {results['when']}"]
    for key, value in results.items():
        if isinstance(value, dict) and key != "sidebyside":
            lines.append(f"{key:24} " + "  ".join(f"{k}={v}" for k, v in value.items()))
    if "sidebyside" in results:
        lines += ["", "end to end, beside a plain bot:", sidebyside.table(results["sidebyside"])]
    return "\n".join(lines)


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    out = asyncio.run(main(quick))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(out, ensure_ascii=False, indent=2))
    print(table(out))
