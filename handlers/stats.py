"""三率 and the counts: response, resolution and satisfaction rates, by category and grid;
meals and events; a chart of the month; the monthly report to the branch on the 1st."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from handlers import texts
from handlers.context import Context, UserError
from handlers.exports import export_path, write_table
from handlers.feature import Due, Feature
from handlers.network import coverage_lines
from handlers.registry import Command
from storage.stats import PeriodStats, Tally

if TYPE_CHECKING:
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)

STAFF = frozenset({"admin", "community", "branch"})
UNKNOWN_GRID = "未知楼栋"
_ISO_MONTH = re.compile(r"^(?P<y>\d{4})[-/.年](?P<m>\d{1,2})月?$")
_CN_MONTH = re.compile(r"^(?P<m>\d{1,2})月(?:份)?$")
MONTHLY_REPORT_AT = time(9, 0)
EN_CATEGORIES = {
    "飞线充电": "Flying-wire charging",
    "电动车进楼": "E-bikes indoors",
    "消防通道占用": "Blocked fire lane",
    "楼道堆物": "Stairwell clutter",
    "电线老化": "Aging wiring",
    "燃气隐患": "Gas",
    "消防设施损坏": "Fire equipment",
    "高空抛物": "Objects thrown",
    "电梯故障": "Elevator",
    "其他": "Other",
}


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    @property
    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), 12 if self.month == 1 else self.month - 1)

    @property
    def last(self) -> date:
        return self.next.first - timedelta(days=1)


def parse_month(text: str, today: date) -> Month:
    """2026-11, 2026年11月, 11月, 本月, 上月; empty: this month."""
    text = text.strip()
    this = Month(today.year, today.month)
    if text in ("", "本月", "这个月"):
        return this
    if text in ("上月", "上个月"):
        return this.previous
    if m := _ISO_MONTH.match(text):
        month = Month(int(m.group("y")), int(m.group("m")))
    elif m := _CN_MONTH.match(text):
        month = Month(today.year, int(m.group("m")))
        if month.first > today:
            month = Month(today.year - 1, month.month)
    else:
        raise UserError(texts.STATS_BAD_MONTH.format(text=text))
    if not 1 <= month.month <= 12:
        raise UserError(texts.STATS_BAD_MONTH.format(text=text))
    return month


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def pct(value: float | None) -> str:
    return f"{value:.1%}" if value is not None else texts.STATS_NONE


def duration(m: float | None) -> str:
    if m is None:
        return texts.STATS_NONE
    if m < 60:
        return f"{m:.0f}分钟"
    if m < 48 * 60:
        return f"{m / 60:.1f}小时"
    return f"{m / 1440:.1f}天"


def rates(t: Tally) -> dict[str, float | None]:
    """The three rates of the definitions in the README."""
    return {
        "response": rate(t.acknowledged_in_time, t.received),
        "resolution": rate(t.resolved, t.received),
        "satisfaction": rate(t.satisfied, t.rated),
    }


async def month_stats(ctx: Context, month: Month) -> PeriodStats:
    tz = ctx.settings.timezone
    start = datetime.combine(month.first, time(0), tzinfo=tz)
    end = datetime.combine(month.next.first, time(0), tzinfo=tz)
    return await ctx.uow.stats.period(
        start=start,
        end=end,
        first_day=month.first,
        last_day=month.last,
        unknown_grid=UNKNOWN_GRID,
    )


def as_dict(month: Month, stats: PeriodStats) -> dict[str, Any]:
    """The figures as plain data (the CLI's json and csv, the tests)."""

    def tally(t: Tally) -> dict[str, Any]:
        return {**t.__dict__, **rates(t)}

    return {
        "month": month.label,
        "total": tally(stats.total),
        "median_ack_minutes": stats.median_ack_minutes,
        "median_resolve_minutes": stats.median_resolve_minutes,
        "by_category": {k: tally(v) for k, v in sorted(stats.by_category.items())},
        "by_grid": {k: tally(v) for k, v in sorted(stats.by_grid.items())},
        "meals_by_day": {d.isoformat(): n for d, n in sorted(stats.meals_by_day.items())},
        "events": [{"number": n, "title": t, "places": p} for n, t, p in stats.events],
    }


def combine(figures: list[dict[str, Any]]) -> dict[str, Any]:
    """Several communities' figures (as_dict) added up, with the rates of the sums."""
    counts = ("received", "resolved", "acknowledged_in_time", "overdue", "rated", "satisfied")

    def add(slices: list[dict[str, Any]]) -> dict[str, Any]:
        t = Tally(**{k: sum(s[k] for s in slices) for k in counts})
        return {**t.__dict__, **rates(t)}

    def by(key: str) -> dict[str, Any]:
        names = sorted({n for f in figures for n in f[key]})
        return {n: add([f[key][n] for f in figures if n in f[key]]) for n in names}

    meals: dict[str, int] = {}
    for f in figures:
        for day, n in f["meals_by_day"].items():
            meals[day] = meals.get(day, 0) + n
    return {
        "month": figures[0]["month"],
        "total": add([f["total"] for f in figures]),
        "median_ack_minutes": None,  # medians do not add up; see each community's
        "median_resolve_minutes": None,
        "by_category": by("by_category"),
        "by_grid": by("by_grid"),
        "meals_by_day": dict(sorted(meals.items())),
        "events": [e for f in figures for e in f["events"]],
    }


def render(ctx: Context, month: Month, stats: PeriodStats) -> str:
    """The statistics as the branch reads them in chat."""
    t = stats.total
    r = rates(t)
    lines = [
        texts.STATS_HEADER.format(community=ctx.settings.community.name, month=month.label),
        texts.STATS_TOTALS.format(received=t.received, resolved=t.resolved, overdue=t.overdue),
        texts.STATS_RATES.format(
            response=pct(r["response"]),
            resolution=pct(r["resolution"]),
            satisfaction=pct(r["satisfaction"]),
        ),
        texts.STATS_MEDIANS.format(
            ack=duration(stats.median_ack_minutes), resolve=duration(stats.median_resolve_minutes)
        ),
    ]
    for header, slices in (
        (texts.STATS_CATEGORY_HEADER, stats.by_category),
        (texts.STATS_GRID_HEADER, stats.by_grid),
    ):
        if slices:
            lines.append(header)
            lines += [
                texts.STATS_SLICE.format(
                    name=name,
                    received=s.received,
                    resolved=s.resolved,
                    response=pct(rates(s)["response"]),
                )
                for name, s in sorted(slices.items(), key=lambda kv: -kv[1].received)
            ]
    portions = sum(stats.meals_by_day.values())
    days = len(stats.meals_by_day)
    lines.append(
        texts.STATS_MEALS.format(
            portions=portions, days=days, avg=f"{portions / days:.1f}" if days else "0"
        )
    )
    lines.append(
        texts.STATS_EVENTS.format(
            count=len(stats.events), places=sum(p for _, _, p in stats.events)
        )
    )
    return "\n".join(lines)


def _chart(path: Path, month: Month, stats: PeriodStats) -> None:
    from matplotlib import pyplot as plt

    fig = chart_figure(month, stats)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    plt.close(fig)


def chart_figure(month: Month, stats: PeriodStats) -> Figure:
    """The month's reports by week and category, as a matplotlib figure (to be closed)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    cjk = cjk_font()
    chinese = cjk is not None
    if cjk is not None:
        plt.rcParams["font.family"] = [cjk]
    categories = sorted({c for _, c in stats.by_week_category})
    labels = week_labels(month)
    weeks = list(range(len(labels)))
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    bottom = [0] * len(weeks)
    for category in categories:
        counts = [stats.by_week_category.get((w, category), 0) for w in weeks]
        label = category if chinese else EN_CATEGORIES.get(category, category)
        ax.bar(labels, counts, bottom=bottom, label=label)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole reports, never 0.5
    title = f"{month.label} 隐患上报（按周、类别）" if chinese else f"{month.label} reports by week"
    ax.set_title(title)
    ax.set_ylabel("件" if chinese else "reports")
    if categories:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def week_labels(month: Month) -> list[str]:
    """The month's weeks by their dates, as the statistics count them (1–7, 8–14, 15–21,
    22–28, 29–end; the fifth only in a month that has a 29th)."""
    last, m = month.last.day, month.month
    starts = [d for d in (1, 8, 15, 22, 29) if d <= last]
    return [f"{m}/{s}–{m}/{min(s + 6, last)}" for s in starts]


_CJK_FILES = ("cjk", "wqy", "wenquanyi", "droidsansfallback", "simhei", "notosanssc", "hei")


def cjk_font() -> str | None:
    """A font with Chinese, looked for when drawing (not in matplotlib's cache alone, which
    is built once: a font installed later would never be seen). None: there is none."""
    from matplotlib import font_manager

    for path in sorted(font_manager.findSystemFonts()):
        name = Path(path).name.lower().replace("-", "").replace("_", "")
        if any(k in name for k in _CJK_FILES):
            try:
                font_manager.fontManager.addfont(path)
                return font_manager.FontProperties(fname=path).get_name()
            except (OSError, RuntimeError, ValueError):
                continue
    return None


async def draw_chart(path: Path, month: Month, stats: PeriodStats) -> Path:
    """A PNG of the month's reports by week and category (off the event loop)."""
    await asyncio.to_thread(_chart, path, month, stats)
    return path


async def show_stats(ctx: Context, args: str) -> None:
    """统计 [月份]: the month's figures, and the chart as a picture."""
    month = parse_month(args, ctx.today)
    stats = await month_stats(ctx, month)
    coverage = await coverage_lines(ctx)
    await ctx.reply("\n".join([render(ctx, month, stats), *coverage]))
    chart = await draw_chart(export_path(ctx, f"stats-{month.label}.png"), month, stats)
    await ctx.tell(ctx.sender, f"{month.label}", document=str(chart))


async def monthly_report(ctx: Context) -> int:
    """On the 1st (from 09:00), last month's report goes to the branch, once."""
    local = ctx.local(ctx.now)
    if local.day != 1 or local.time() < MONTHLY_REPORT_AT:
        return 0
    month = Month(local.year, local.month).previous
    if not await ctx.uow.claims.claim(name=f"monthly-report:{month.label}", at=ctx.now):
        return 0
    stats = await month_stats(ctx, month)
    if not (stats.total.received or stats.meals_by_day or stats.events):
        log.info("monthly report for %s skipped: nothing happened", month.label)
        return 0
    text = texts.STATS_MONTHLY + render(ctx, month, stats)
    chart = await draw_chart(
        Path(ctx.settings.exports_dir) / f"monthly-{month.label}.png", month, stats
    )
    for person in await ctx.uow.people.with_role(role="branch"):
        await ctx.tell(person, text, document=str(chart))
    return 1


async def next_monthly_wake(ctx: Context) -> datetime | None:
    """09:00 on the next 1st of a month."""
    local = ctx.local(ctx.now)
    first = Month(local.year, local.month).next.first
    if local.day == 1 and local.time() < MONTHLY_REPORT_AT:
        first = local.date()
    return datetime.combine(first, MONTHLY_REPORT_AT, tzinfo=ctx.settings.timezone)


REPORT_HEADERS = (
    "编号",
    "上报时间",
    "楼栋",
    "单元",
    "门牌",
    "类别",
    "紧急",
    "内容",
    "状态",
    "上报人",
    "处理人",
    "接单时间",
    "办结时间",
    "办结说明",
    "评价",
    "处理经过",
)


async def report_rows(ctx: Context, month: Month) -> list[list[str]]:
    """Every report received in the month with its history, for the export."""
    tz = ctx.settings.timezone
    start = datetime.combine(month.first, time(0), tzinfo=tz)
    end = datetime.combine(month.next.first, time(0), tzinfo=tz)
    rows = []
    for r in await ctx.uow.reports.received_between(start=start, end=end):
        # thousands of reports, each a few short statements that need not give the loop
        # away (SQLite runs them on its thread): let it turn between two
        await asyncio.sleep(0)
        reporter = await ctx.uow.people.get(person_id=r.reporter_id)
        assignee = await ctx.uow.people.get(person_id=r.assignee_id) if r.assignee_id else None
        history = []
        ratings = []
        for e in await ctx.uow.reports.events(report_id=r.id):
            who = (await ctx.uow.people.get(person_id=e.actor_id)).name if e.actor_id else ""
            what = texts.EVENT_NAMES.get(e.kind, e.kind)
            history.append(
                f"{ctx.local(e.at):%m-%d %H:%M} {what}{f'（{who}）' if who else ''}"
                f"{f'：{e.note}' if e.note and e.kind != 'filed' else ''}"
            )
            if e.kind == "rated" and e.note:
                ratings.append(e.note.split()[0])
        rows.append(
            [
                r.number,
                f"{ctx.local(r.created_at):%Y-%m-%d %H:%M}",
                r.building or "",
                r.unit or "",
                r.room or "",
                r.category,
                "是" if r.urgent else "",
                r.text,
                {"open": texts.STATUS_OPEN, "acknowledged": "处理中", "resolved": "已办结"}[
                    r.status
                ],
                reporter.name,
                assignee.name if assignee else "",
                f"{ctx.local(r.acknowledged_at):%Y-%m-%d %H:%M}" if r.acknowledged_at else "",
                f"{ctx.local(r.resolved_at):%Y-%m-%d %H:%M}" if r.resolved_at else "",
                r.resolution or "",
                ratings[-1] if ratings else "",
                "\n".join(history),
            ]
        )
    return rows


async def export_reports(ctx: Context, month: Month, path: Path) -> int:
    """Write the month's reports with their history to `path` (.xlsx or .csv)."""
    rows = await report_rows(ctx, month)
    await write_table(path, REPORT_HEADERS, rows, title=f"上报 {month.label}")
    return len(rows)


async def export_in_chat(ctx: Context, args: str) -> None:
    """导出上报 [2026-11]: the reports with their history as XLSX, privately."""
    month = parse_month(args, ctx.today)
    path = export_path(ctx, f"reports-{month.label}.xlsx")
    count = await export_reports(ctx, month, path)
    await ctx.tell(
        ctx.sender,
        texts.EXPORT_DONE.format(what=f"{month.label}上报", rows=count),
        document=str(path),
    )


COMMANDS = (
    Command(
        name="stats",
        keywords=("统计", "三率"),
        slash=("stats",),
        handler=show_stats,
        summary="统计 [2026-11] —— 响应率、解决率、满意率和各项数字",
        english="Monthly statistics: /stats 2026-11",
        usage=texts.STATS_USAGE,
        roles=STAFF,
        private_only=True,
    ),
    Command(
        name="export_reports",
        keywords=("导出上报",),
        slash=("export",),
        handler=export_in_chat,
        summary="导出上报 [2026-11] —— 上报及处理经过 XLSX",
        english="Export reports as XLSX",
        usage=texts.EXPORT_REPORTS_USAGE,
        roles=STAFF,
        private_only=True,
    ),
)


FEATURE = Feature(name="stats", commands=COMMANDS, due=(Due(monthly_report, next_monthly_wake),))
