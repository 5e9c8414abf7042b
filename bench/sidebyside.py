"""linli beside a plain bot (bench/plain_bot.py), end to end, through one fake Bot API.

Each bot runs as a process of its own on a fresh SQLite file, polling a local fake Bot API
(tests/fake_telegram.py, limits off). The fake offers N group reports from N residents
through getUpdates (`/report 3栋 楼道飞线充电 第i号`, understood by both), each needing a
group answer and a private alert to the building's grid worker; it notes when each
sendMessage arrives. linli runs `linli run` (polling) on the demo community with duplicate
merging off (every report its own) and its probes on: the event loop's stalls
(LINLI_LOOP_PROBE) and the SQL statements (LINLI_COUNT_STATEMENTS). The plain bot runs the
same loop probe: its stalls are what PTB and the machine's load cost any bot.

Per bot and run: reports/s end to end (N over the time from the first offer to the last
answer or alert at the fake), CPU per report (the bot process's user+sys CPU over that
time, from /proc: handling, storing and both sends), alert latency p50/p99 (from the offer
to the alert at the fake) at saturation (all N offered at once) and paced (100 a second),
each bot's worst loop stall. The runs are interleaved (plain, linli, plain, linli) so
both see the same machine. Then `linli run` left idle: statements per second.

    .venv/bin/python -m bench.sidebyside            # 1,000 and 10,000 reports, 60 s idle
    .venv/bin/python -m bench.sidebyside --quick    # 1,000 only, 30 s idle
    .venv/bin/python -m bench.sidebyside --quick --rounds 2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from bot.probes import COUNT_STATEMENTS, LOOP_PROBE
from tests.fake_telegram import Call, FakeBotApi

ROOT = Path(__file__).parent.parent
RESULTS = Path(__file__).parent / "results"
GROUP = -1001
# the demo community's grid workers, on Telegram (as tests/test_telegram.py binds them)
ACCOUNTS = {"李娜": 101, "陈刚": 102, "王辉": 201, "张正芳": 301, "朱东": 401}
BUILDINGS = [f"{n}栋" for n in range(1, 9)]
NUMBER = re.compile(r"第(\d+)号")
PACE = 100.0  # reports a second, paced


def report_text(i: int) -> str:
    return f"/report {BUILDINGS[i % 8]} 楼道飞线充电 第{i}号"


def cpu_seconds(pid: int, *, sys_only: bool = False) -> float:
    """User and system CPU a live process has used (all its threads; Linux /proc), or with
    `sys_only` its system CPU alone (the kernel's work for it: sockets, polls, wake-ups)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    used = int(fields[12]) + (0 if sys_only else int(fields[11]))
    return used / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def read_json(path: Path) -> dict[str, Any]:
    try:
        found: dict[str, Any] = json.loads(path.read_text())
        return found
    except (OSError, ValueError):
        return {}


def worst_between(
    lag: dict[str, Any], start: float, end: float, key: str = "per_second_worst_ms"
) -> float | None:
    """The loop probe's worst stall in the wall-clock seconds from start to end (`key`:
    per_second_worst_on_cpu_ms for the part the loop's thread spent running)."""
    during = [v for s, v in lag.get(key, {}).items() if start - 1 <= int(s) <= end]
    return max(during, default=None)


def statements_between(before: dict[str, Any], after: dict[str, Any], n: int) -> dict[str, float]:
    """Statements per report between two readings of the counter, by their beginning."""
    old = before.get("by_statement", {})
    diff = {k: (v - old.get(k, 0)) / n for k, v in after.get("by_statement", {}).items()}
    return {k: round(v, 2) for k, v in sorted(diff.items(), key=lambda kv: -kv[1]) if v > 0}


@dataclass
class Arrivals:
    """What reaches the fake, stamped on arrival (before it is answered)."""

    polls: int = 0
    sends: int = 0
    group_messages: int = 0
    answer_at: dict[int, float] = field(default_factory=dict)  # report i → its group answer
    alert_at: dict[int, float] = field(default_factory=dict)  # report i → its alert
    last: float = 0.0

    def on_call(self, call: Call) -> None:
        if call.method == "getUpdates":
            self.polls += 1
            return
        if call.method != "sendMessage":
            return
        now = time.perf_counter()
        self.sends += 1
        group = str(call.params.get("chat_id")) == str(GROUP)
        self.group_messages += group
        into = self.answer_at if group else self.alert_at
        for found in NUMBER.findall(str(call.params.get("text", ""))):
            if int(found) not in into:
                into[int(found)] = now
                self.last = max(self.last, now)

    def complete(self, n: int) -> bool:
        return len(self.alert_at) >= n and len(self.answer_at) >= n


def route() -> dict[str, int]:
    """Building → its grid worker's Telegram chat, from the demo community's grids."""
    from tests.fakes import example_raw

    out = {}
    for grid in example_raw()["grids"]:
        for building in grid["buildings"]:
            out[building] = ACCOUNTS[grid["workers"][0]]
    return out


def linli_config(tmp: Path, base_url: str) -> Path:
    from tests.fakes import example_raw

    raw = example_raw()
    for person in raw["people"]:
        if person["name"] in ACCOUNTS:
            person["accounts"] = [f"telegram:{ACCOUNTS[person['name']]}"]
    raw["community"]["bot_names"] = ["小区助手", "linli_test_bot"]
    raw["groups"] = [{"name": "业主群", "platform": "telegram", "chat_id": str(GROUP)}]
    raw["telegram"] = {
        "enabled": True,
        "token": "123:BENCH",
        "base_url": base_url,
        "group_per_minute": 100_000,  # limits off: this measures the bot, not Telegram
        "private_per_3s": 100_000,
        "overall_per_second": 100_000,
    }
    raw["reports"]["duplicate_window_hours"] = 0  # every report its own
    raw["ops"] = {"enabled": False}
    raw["storage"] = {"url": f"sqlite:///{tmp / 'linli.db'}"}
    path = tmp / "linli.toml"
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    return path


# set to a path: each bot runs under cProfile, its profile written to PATH.KIND.RUN
# (PATH.plain.saturated, PATH.linli.paced, …)
PROFILE_ENV = "SBS_PROFILE"
# set to a path: each bot is sampled by py-spy (`pip install py-spy`), its folded stacks
# written to PATH.KIND.RUN
SAMPLE_ENV = "SBS_SAMPLE"


@contextlib.asynccontextmanager
async def bot_process(
    kind: str, tmp: Path, fake: FakeBotApi, arrivals: Arrivals, run: str = "idle"
) -> AsyncIterator[asyncio.subprocess.Process]:
    """The bot as a process of its own, yielded once it polls the fake."""
    env = dict(os.environ)
    if kind == "plain":
        argv = [
            "-m",
            "bench.plain_bot",
            "--base-url",
            fake.base_url,
            "--db",
            str(tmp / "plain.db"),
            "--route",
            json.dumps(route(), ensure_ascii=False),
        ]
        env[LOOP_PROBE] = str(tmp / "looplag.json")  # the machine's noise, beside linli's
    else:
        argv = ["-m", "bot.cli", "run", "--config", str(linli_config(tmp, fake.base_url))]
        env[LOOP_PROBE] = str(tmp / "looplag.json")
        env[COUNT_STATEMENTS] = str(tmp / "statements.json")
    profile = os.environ.get(PROFILE_ENV)
    if profile:  # the bot's main thread's CPU under cProfile, written when it stops
        argv = ["-m", "bench.cpu_profile", f"{profile}.{kind}.{run}", *argv[1:]]
    log = (tmp / f"{kind}.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *argv, cwd=ROOT, env=env, stdout=log, stderr=asyncio.subprocess.STDOUT
    )
    sampler = None
    sampled = os.environ.get(SAMPLE_ENV)
    if sampled:  # py-spy samples the bot from outside: the bot runs at nearly its own speed
        sampler = await asyncio.create_subprocess_exec(
            "py-spy",
            "record",
            "-r",
            "250",
            "--nonblocking",
            "--format",
            "raw",
            "-o",
            f"{sampled}.{kind}.{run}",
            "--pid",
            str(proc.pid),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 120
        while arrivals.polls == 0:
            if proc.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the {kind} bot never polled:\n"
                    + (tmp / f"{kind}.log").read_text(errors="replace")[-2000:]
                )
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.5)  # past its start-up (menu, first sweeps, the sender)
        yield proc
    finally:
        if sampler is not None:  # py-spy writes its samples when interrupted
            sampler.send_signal(signal.SIGINT)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sampler.wait(), 30)
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        log.close()


async def offer(fake: FakeBotApi, n: int, pace: float | None) -> dict[int, float]:
    """Push n reports (all at once, or `pace` a second); when each was offered."""
    offered: dict[int, float] = {}
    start = time.perf_counter()
    for i in range(n):
        if pace is not None:
            wait = start + i / pace - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
        fake.push_message(GROUP, 10_000 + i, f"居民{i}", report_text(i))
        offered[i] = time.perf_counter()
    return offered


async def run_bot(kind: str, n: int, pace: float | None) -> dict[str, Any]:
    """One bot, one run: n reports offered at saturation (pace None) or paced."""
    arrivals = Arrivals()
    fake = FakeBotApi()  # limits off; the real clock (the bot is a process of its own)
    fake.on_call = arrivals.on_call
    await fake.start()
    result: dict[str, Any] = {"bot": kind, "reports": n, "offered": pace or "all at once"}
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            run = "saturated" if pace is None else "paced"
            async with bot_process(kind, tmp, fake, arrivals, run) as proc:
                counted = tmp / "statements.json"
                before = read_json(counted)
                cpu0, wall0 = cpu_seconds(proc.pid), time.time()
                sys0 = cpu_seconds(proc.pid, sys_only=True)
                offering = asyncio.create_task(offer(fake, n, pace))
                deadline = time.monotonic() + 120 + n / 10
                while not arrivals.complete(n) and time.monotonic() < deadline:
                    if proc.returncode is not None:
                        raise RuntimeError(
                            f"the {kind} bot died ({proc.returncode}):\n"
                            + (tmp / f"{kind}.log").read_text(errors="replace")[-2000:]
                        )
                    await asyncio.sleep(0.02)
                cpu1, wall1 = cpu_seconds(proc.pid), time.time()
                sys1 = cpu_seconds(proc.pid, sys_only=True)
                offered = await offering
                first = min(offered.values())
                took = (arrivals.last or time.perf_counter()) - first
                latencies = [arrivals.alert_at[i] - offered[i] for i in arrivals.alert_at]
                result |= {
                    "delivered": min(len(arrivals.alert_at), len(arrivals.answer_at)),
                    "seconds": round(took, 2),
                    "reports_per_s": round(n / took, 1),
                    "cpu_ms_per_report": round(1000 * (cpu1 - cpu0) / n, 2),
                    "sys_ms_per_report": round(1000 * (sys1 - sys0) / n, 2),
                    "alert_p50_ms": round(1000 * percentile(latencies, 0.5), 1),
                    "alert_p99_ms": round(1000 * percentile(latencies, 0.99), 1),
                    "sends": arrivals.sends,
                    "group_messages": arrivals.group_messages,
                }
                await asyncio.sleep(1.3)  # the probes write about once a second
                lag = read_json(tmp / "looplag.json")
                result["loop_stall_max_ms"] = worst_between(lag, wall0, wall1)
                result["loop_stall_on_cpu_ms"] = worst_between(
                    lag, wall0, wall1, "per_second_worst_on_cpu_ms"
                )
                result["loop_stall_max_ms_with_startup"] = lag.get("worst_ms")
                if kind == "linli":
                    after = read_json(counted)
                    if before and after:
                        result["statements_per_report"] = round(
                            (after["statements"] - before["statements"]) / n, 1
                        )
                        result["commits_per_report"] = round(
                            (after["commits"] - before["commits"]) / n, 2
                        )
                        result["statements_by_kind"] = statements_between(before, after, n)
    finally:
        await fake.stop()
    return result


async def idle(seconds: float) -> dict[str, Any]:
    """`linli run` polling the fake, nothing due: statements a second, its worst stall."""
    arrivals = Arrivals()
    fake = FakeBotApi()
    fake.on_call = arrivals.on_call
    await fake.start()
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            async with bot_process("linli", tmp, fake, arrivals):
                await asyncio.sleep(3)  # past the first sweeps of what is due at start
                before, wall0 = read_json(tmp / "statements.json"), time.time()
                await asyncio.sleep(seconds)
                after, wall1 = read_json(tmp / "statements.json"), time.time()
                lag = read_json(tmp / "looplag.json")
        span = after["written_at"] - before["written_at"]
        return {
            "seconds": round(span, 1),
            "statements": after["statements"] - before["statements"],
            "statements_per_s": round((after["statements"] - before["statements"]) / span, 2),
            "commits": after["commits"] - before["commits"],
            "loop_stall_max_ms": worst_between(lag, wall0, wall1),
            "loop_stall_on_cpu_ms": worst_between(lag, wall0, wall1, "per_second_worst_on_cpu_ms"),
            "statements_by_kind": statements_between(before, after, 1),
        }
    finally:
        await fake.stop()


def ratios(plain: dict[str, Any], linli: dict[str, Any]) -> dict[str, Any]:
    def div(key: str) -> float | None:
        a, b = linli.get(key), plain.get(key)
        return round(a / b, 2) if a and b else None

    return {
        "reports_per_s": div("reports_per_s"),
        "cpu_ms_per_report": div("cpu_ms_per_report"),
        "alert_p50_ms": div("alert_p50_ms"),
        "alert_p99_ms": div("alert_p99_ms"),
    }


async def sitting(sizes: list[int], rounds: int, idle_seconds: float) -> dict[str, Any]:
    """Both bots, interleaved: per size and round, saturation then paced."""
    runs: list[dict[str, Any]] = []
    for n in sizes:
        for pace in (None, PACE):
            for r in range(rounds):
                pair = {}
                for kind in ("plain", "linli"):
                    print(f"  {kind}: {n} reports, offered {pace or 'all at once'} …", flush=True)
                    pair[kind] = await run_bot(kind, n, pace)
                    pair[kind]["round"] = r + 1
                    runs.append(pair[kind])
                runs.append(
                    {"bot": "linli/plain", "reports": n, "offered": pace or "all at once"}
                    | {"round": r + 1}
                    | ratios(pair["plain"], pair["linli"])
                )
    out: dict[str, Any] = {"runs": runs}
    if idle_seconds:
        print(f"  linli idle for {idle_seconds:.0f} s …", flush=True)
        out["idle"] = await idle(idle_seconds)
    return out


COLUMNS = [
    ("bot", "bot", 11),
    ("reports", "reports", 7),
    ("offered", "offered", 11),
    ("round", "#", 2),
    ("reports_per_s", "reports/s", 9),
    ("cpu_ms_per_report", "CPU ms/rep", 10),
    ("sys_ms_per_report", "of it sys", 9),
    ("alert_p50_ms", "alert p50 ms", 12),
    ("alert_p99_ms", "alert p99 ms", 12),
    ("loop_stall_on_cpu_ms", "stall cpu", 9),
    ("loop_stall_max_ms", "stall wall", 10),
    ("statements_per_report", "stmts/rep", 9),
    ("delivered", "delivered", 9),
]


def table(out: dict[str, Any]) -> str:
    lines = ["  ".join(f"{title:>{w}}" for _, title, w in COLUMNS)]
    for run in out["runs"]:
        cells = []
        for key, _, w in COLUMNS:
            value = run.get(key, "")
            cells.append(f"{'' if value is None else value!s:>{w}}")
        lines.append("  ".join(cells))
    if "idle" in out:
        idle_ = out["idle"]
        lines.append(
            f"linli idle {idle_['seconds']} s: {idle_['statements']} statements"
            f" ({idle_['statements_per_s']}/s) in {idle_['commits']} commits;"
            f" worst loop stall {idle_['loop_stall_on_cpu_ms']} ms on the CPU,"
            f" {idle_['loop_stall_max_ms']} ms wall"
        )
    return "\n".join(lines)


async def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1,000 reports only, 30 s idle")
    parser.add_argument("--sizes", type=int, nargs="*", help="report counts (default 1000 10000)")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved runs of each")
    parser.add_argument("--idle", type=float, help="seconds of idle `linli run` (0: none)")
    args = parser.parse_args(argv)
    sizes = args.sizes or ([1000] if args.quick else [1000, 10_000])
    idle_seconds = args.idle if args.idle is not None else (30.0 if args.quick else 60.0)
    out = await sitting(sizes, args.rounds, idle_seconds)
    out["machine"] = f"{platform.machine()} {platform.python_version()}, {os.cpu_count()} cores"
    out["when"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    out["load_average"] = [round(x, 1) for x in os.getloadavg()]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sidebyside.json").write_text(json.dumps(out, ensure_ascii=False, indent=2))
    print(f"{out['machine']} — {out['when']} — load average {out['load_average']}")
    print(table(out))
    return out


if __name__ == "__main__":
    asyncio.run(main())
