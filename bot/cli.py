"""The `linli` command: console, run, check-config."""

from __future__ import annotations

import argparse
import asyncio
import csv
import dataclasses
import io
import json
import logging
import signal
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from wcwidth import wcswidth

from bot.config import Config, ConfigError, load_config
from bot.console import BANNER, lines_from, run_console

if TYPE_CHECKING:
    from handlers.stats import Month

log = logging.getLogger(__name__)

DEFAULT_CONFIG = "config.example.toml"


class CliError(Exception):
    """Bad input to a command: one line on stderr, in Chinese and English, exit status 2."""


def _existing(cfg: Config) -> Config:
    """The config, once its database is known to exist (a command that reads never creates)."""
    from storage.maintenance import require_existing

    try:
        asyncio.run(require_existing(cfg.storage.url))
    except ValueError as exc:
        raise CliError(str(exc)) from None
    return cfg


def _today(cfg: Config) -> date:
    """Today in the community's time zone (not the server's)."""
    return datetime.now(ZoneInfo(cfg.community.timezone)).date()


def _month(text: str | None, cfg: Config) -> Month:
    from handlers.context import UserError
    from handlers.stats import parse_month

    try:
        return parse_month(text or "", _today(cfg))
    except UserError:
        raise CliError(
            f"看不懂月份「{text}」，请写 2026-11 / not a month: {text!r} (write e.g. 2026-11)"
        ) from None


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(
            f"看不懂日期「{text}」，请写 2026-12-01 / not a date: {text!r} (write e.g. 2026-12-01)"
        ) from None


def _load(path: str, db: str | None) -> Config:
    cfg = load_config(path)
    if db:  # a SQLite file, or a whole storage URL (postgresql://…)
        url = db if "://" in db else f"sqlite:///{db}"
        cfg = cfg.model_copy(update={"storage": cfg.storage.model_copy(update={"url": url})})
    return cfg


def _console(args: argparse.Namespace) -> int:
    cfg = _load(args.config, args.db)
    interactive = sys.stdin.isatty()
    if interactive:
        print(BANNER.format(community=cfg.community.name))
    lines = lines_from(sys.stdin, "> " if interactive else None)
    start = datetime.fromisoformat(args.start) if args.start else None
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=ZoneInfo(cfg.community.timezone))
    return asyncio.run(run_console(cfg, lines, sys.stdout, echo=not interactive, start=start))


def _dead_letters(args: argparse.Namespace) -> int:
    from storage import Database

    cfg = _load(args.config, args.db)

    async def listing() -> int:
        async with Database(cfg.storage.url) as db:
            await db.migrate()
            async with db.unit_of_work() as uow:
                if args.show:
                    number = args.show.upper().removeprefix("D")
                    found = await uow.dead_letters.get(int(number)) if number.isdigit() else None
                    if found is None:
                        print(f"no dead letter {args.show}", file=sys.stderr)
                        return 1
                    print(
                        json.dumps(
                            {**dataclasses.asdict(found), "raw": json.loads(found.raw)},
                            ensure_ascii=False,
                            indent=2,
                            default=str,
                        )
                    )
                    return 0
                letters = await uow.dead_letters.listed(include_replayed=args.all, limit=1000)
        for d in reversed(letters):
            replayed = f" replayed {d.replayed_at:%Y-%m-%d %H:%M}" if d.replayed_at else ""
            again = f" (replay of D{d.replay_of})" if d.replay_of else ""
            print(
                f"{d.label}\t{d.created_at:%Y-%m-%d %H:%M:%S}\t{d.platform}\t{d.stage}\t{d.ref}"
                f"\t{d.reason}{again}{replayed}"
            )
        print(
            f"{len(letters)} dead letters; replay one in a private chat: 重放 D1", file=sys.stderr
        )
        return 0

    return asyncio.run(listing())


def _web(args: argparse.Namespace) -> int:
    from bot.web.demo import run_web_console

    cfg = _load(args.config, args.db)
    changes = {k: v for k, v in (("listen", args.listen), ("port", args.port)) if v is not None}
    cfg = cfg.model_copy(update={"web": cfg.web.model_copy(update=changes)})
    interactive = sys.stdin.isatty()
    if interactive:
        print(BANNER.format(community=cfg.community.name))
    lines = lines_from(sys.stdin, "> " if interactive else None)
    start = datetime.fromisoformat(args.start) if args.start else None
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=ZoneInfo(cfg.community.timezone))
    try:
        return asyncio.run(
            run_web_console(cfg, lines, sys.stdout, echo=not interactive, start=start)
        )
    except KeyboardInterrupt:
        return 0


def _check(args: argparse.Namespace) -> int:
    cfg = load_config(args.file)
    grids = ", ".join(f"{g.name} ({len(g.buildings)} buildings)" for g in cfg.grids)
    print(f"{args.file}: OK — {cfg.community.name}, {len(cfg.people)} people, {grids}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from bot.exports import export_meals_file, export_reports_file

    cfg = _load(args.config, args.db)
    if args.what == "meals":
        if not args.date:
            raise CliError("linli export meals：请给出 --date / --date is required")
        day = _day(args.date)
        _existing(cfg)
        out = Path(args.out or f"meals-{day.isoformat()}.{args.format}")
        meals = (args.meal,) if args.meal else ("lunch", "dinner")
        count = asyncio.run(export_meals_file(cfg, day, meals, out))
    else:
        month = _month(args.month, cfg)
        _existing(cfg)
        out = Path(args.out or f"reports-{month.label}.{args.format}")
        count = asyncio.run(export_reports_file(cfg, month, out))
    print(f"{out}: {count} rows")
    return 0


def _stats(args: argparse.Namespace) -> int:
    from bot.exports import month_figures
    from handlers.stats import combine

    paths = args.config or [DEFAULT_CONFIG]
    configs = [_load(path, args.db if len(paths) == 1 else None) for path in paths]
    month = _month(args.month, configs[0])
    every = []
    for cfg in configs:
        figures = asyncio.run(month_figures(_existing(cfg), month))
        every.append((cfg.community.name, figures))
    if len(every) == 1:
        print(format_figures(every[0][1], args.format), end="")
        return 0
    for name, figures in every:  # each community, then the subdistrict
        print(f"# {name}")
        print(format_figures(figures, args.format), end="")
    print("# 合计 / all communities")
    print(format_figures(combine([f for _, f in every]), args.format), end="")
    return 0


def format_figures(figures: dict[str, Any], fmt: str) -> str:
    """A month's figures as a table, JSON or CSV (one row per slice)."""
    if fmt == "json":
        return json.dumps(figures, ensure_ascii=False, indent=2) + "\n"
    rows = [("total", "", figures["total"])]
    rows += [("category", k, v) for k, v in figures["by_category"].items()]
    rows += [("grid", k, v) for k, v in figures["by_grid"].items()]
    columns = [
        "received",
        "resolved",
        "overdue",
        "acknowledged_in_time",
        "rated",
        "satisfied",
        "response",
        "resolution",
        "satisfaction",
    ]

    def cell(value: object) -> str:
        if value is None:
            return "" if fmt == "csv" else "—"
        if isinstance(value, float):  # a rate: as 统计 in chat shows it, or exact for CSV
            return f"{value:.4f}" if fmt == "csv" else f"{value:.1%}"
        return str(value)

    table = [["slice", "name", *columns]] + [
        [kind, name, *(cell(v[c]) for c in columns)] for kind, name, v in rows
    ]
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerows(table)
        return out.getvalue()
    # a Chinese character takes two cells of the terminal: pad by width, not by length
    widths = [max(wcswidth(r[i]) for r in table) for i in range(len(table[0]))]
    lines = [f"{figures['month']}"] + [
        "  ".join(
            c + " " * (w - wcswidth(c)) if i < len(r) - 1 else c
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in table
    ]
    return "\n".join([*lines, *summary_lines(figures)]) + "\n"


def summary_lines(figures: dict[str, Any]) -> list[str]:
    """The rest of what 统计 says in chat: medians, meals, events, visit coverage."""
    from handlers import texts
    from handlers.stats import duration

    lines = [
        texts.STATS_MEDIANS.format(
            ack=duration(figures.get("median_ack_minutes")),
            resolve=duration(figures.get("median_resolve_minutes")),
        )
    ]
    meals = figures.get("meals_by_day", {})
    portions, days = sum(meals.values()), len(meals)
    lines.append(
        texts.STATS_MEALS.format(
            portions=portions, days=days, avg=f"{portions / days:.1f}" if days else "0"
        )
    )
    events = figures.get("events", [])
    lines.append(
        texts.STATS_EVENTS.format(count=len(events), places=sum(e["places"] for e in events))
    )
    cover = figures.get("visit_coverage")
    if cover and cover["by_lead"]:
        lines.append(texts.COVERAGE_HEADER)
        lines += [
            texts.COVERAGE_LINE.format(name=name, visited=v, total=t)
            for table in (cover["by_lead"], cover["by_grid"])
            for name, (v, t) in table.items()
        ]
    return lines


def _backup(args: argparse.Namespace) -> int:
    from storage.maintenance import backup_sqlite

    cfg = _load(args.config, args.db)
    try:
        asyncio.run(backup_sqlite(cfg.storage.url, Path(args.out)))
    except ValueError as exc:
        raise CliError(str(exc)) from None
    print(f"{args.out}: a consistent copy of {cfg.storage.url}")
    return 0


def _migrate_data(args: argparse.Namespace) -> int:
    from storage.maintenance import migrate_data

    try:
        copied = asyncio.run(migrate_data(args.source, args.target))
    except ValueError as exc:
        raise CliError(str(exc)) from None
    for table, n in copied.items():
        print(f"{table}: {n} rows")
    return 0


def _run(args: argparse.Namespace) -> int:
    from bot import probes
    from bot.runtime import run_communities

    configs = [_load(path, None) for path in (args.config or [DEFAULT_CONFIG])]

    async def until_stopped() -> int:
        # SIGTERM (systemd, docker stop) stops like Ctrl-C: the platforms are told which
        # updates are stored, the database is closed
        main = asyncio.current_task()
        assert main is not None
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, main.cancel)
        probes.start_from_environment()  # a benchmark's loop-lag and statement probes
        try:
            return await run_communities(configs)
        except asyncio.CancelledError:
            log.info("stopped by a signal")
            return 0

    return asyncio.run(until_stopped())


class JsonLines(logging.Formatter):
    """One JSON object per log record (for log collectors)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


# Drivers that log SQL with its parameters (addresses, phones) at DEBUG: never below WARNING
QUIET = (
    "alembic",
    "httpx",
    "httpcore",
    "apscheduler",
    "aiosqlite",
    "sqlalchemy",
    "asyncpg",
    "grpclib",
    "hpack",
    "telegram",
    "tornado",
    "aiohttp",
)


def setup_logging(level: int, *, json_lines: bool = False) -> None:
    """Log to stderr at `level`; personal data in SQL parameters stays out of the logs."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonLines()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet_drivers(level)


def quiet_drivers(level: int) -> None:
    """Libraries that would log SQL parameters or request bodies stay at WARNING or above."""
    for name in QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, level))


def _explain(args: argparse.Namespace) -> int:
    from bot.explain import reader
    from handlers.understanding import describe

    settings = load_config(Path(args.config)).settings(platforms=("console",))
    today = datetime.now(settings.timezone).date()
    read = reader(settings, group=not args.private)
    for text in args.text:
        print(describe(read(text, today), today))
        print()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `linli` console script."""
    parser = argparse.ArgumentParser(prog="linli", description="邻里 linli community bot")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    parser.add_argument("--log-json", action="store_true", help="log one JSON object a line")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("console", help="chat with the bot in this terminal (or from a script)")
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.add_argument("--db", help="SQLite file (or storage URL) instead of the config's storage.url")
    p.add_argument("--start", help="where the simulated clock starts, e.g. 2026-11-26T09:00")
    p.set_defaults(func=_console, level=logging.WARNING)

    p = sub.add_parser("run", help="run the bot on every enabled platform")
    p.add_argument(
        "--config", action="append", help="a community's config; repeat for several communities"
    )
    p.set_defaults(func=_run, level=logging.INFO)

    p = sub.add_parser("web", help="the web workbench beside the console chat (a demo)")
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.add_argument("--db", help="SQLite file (or storage URL) instead of the config's storage.url")
    p.add_argument("--listen", help="address to serve on (default: web.listen, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default: web.port, 8080; 0: any free port)")
    p.add_argument("--start", help="where the simulated clock starts, e.g. 2026-11-26T09:00")
    p.set_defaults(func=_web, level=logging.WARNING)

    p = sub.add_parser("stats", help="a month's statistics (三率 and counts)")
    p.add_argument("--month", help="e.g. 2026-11 (default: this month)")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    p.add_argument(
        "--config", action="append", help="a community's config; repeat for a subdistrict's figures"
    )
    p.add_argument("--db", help="SQLite file (or storage URL) instead of the config's storage.url")
    p.set_defaults(func=_stats, level=logging.WARNING)

    p = sub.add_parser("export", help="write meal sign-ups or reports to CSV or XLSX")
    p.add_argument("what", choices=["meals", "reports"])
    p.add_argument("--date", help="meals: the day, e.g. 2026-12-01")
    p.add_argument("--month", help="reports: the month, e.g. 2026-11 (default: this month)")
    p.add_argument("--meal", choices=["lunch", "dinner"], help="one meal (default: both)")
    p.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    p.add_argument("--out", help="the file to write (default: meals-DATE.FORMAT)")
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.add_argument("--db", help="SQLite file (or storage URL) instead of the config's storage.url")
    p.set_defaults(func=_export, level=logging.WARNING)

    p = sub.add_parser("backup", help="a consistent copy of a live SQLite database")
    p.add_argument("--out", required=True, help="the copy to write")
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.add_argument("--db", help="SQLite file (or storage URL) instead of the config's storage.url")
    p.set_defaults(func=_backup, level=logging.WARNING)

    p = sub.add_parser("migrate-data", help="copy every row to another database")
    p.add_argument("--from", dest="source", required=True, help="e.g. sqlite:///linli.db")
    p.add_argument("--to", dest="target", required=True, help="e.g. postgresql://user@host/db")
    p.set_defaults(func=_migrate_data, level=logging.WARNING)

    p = sub.add_parser("dead-letters", help="inbound updates set aside (unparseable, failing)")
    p.add_argument("--all", action="store_true", help="also those already replayed")
    p.add_argument("--show", metavar="D1", help="one dead letter in full, with its raw update")
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.add_argument("--db", help="SQLite file (or storage URL) instead of the config's storage.url")
    p.set_defaults(func=_dead_letters, level=logging.WARNING)

    p = sub.add_parser("explain", help="how a text is understood (intent, place, category…)")
    p.add_argument("text", nargs="+", help="the message, e.g. 上报 3栋 电瓶车停在电梯里")
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.add_argument("--private", action="store_true", help="as written to the bot in private")
    p.set_defaults(func=_explain, level=logging.WARNING)

    p = sub.add_parser("check-config", help="validate a config file without starting")
    p.add_argument("file", nargs="?", default=DEFAULT_CONFIG)
    p.set_defaults(func=_check, level=logging.WARNING)

    args = parser.parse_args(argv)
    setup_logging(logging.INFO if args.verbose else args.level, json_lines=args.log_json)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"配置错误 / config error:\n{exc}", file=sys.stderr)
        return 2
    except CliError as exc:
        print(f"linli: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
