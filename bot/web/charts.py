"""The 统计 page's charts as inline SVG, drawn on the server from the chat's own figures: no
script, no library, nothing from another host (the page's CSP forbids inline styles, so
colours are SVG presentation attributes, never `style`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

RED = "#b3261e"
GREEN = "#2e7d32"
BLUE = "#0b5cad"
AMBER = "#b06d00"
GREY = "#8a93a3"
FONT = 'font-family="sans-serif"'
W, H = 480, 240  # the viewBox; the picture scales to its container
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 20, 30


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: Sequence[float | None]  # one per label; None: nothing to draw (no data)


def _nice_top(peak: float) -> int:
    """A round top for the count axis: 4, 8, 20, 40, 80, 200, … at or above the peak (a
    multiple of 4, so the quarter lines fall on whole numbers)."""
    base = 1
    while True:
        for m in (4, 8, 20):
            if base * m >= peak:
                return base * m
        base *= 10


def _frame(title: str, labels: Sequence[str], ticks: Sequence[tuple[float, str]]) -> list[str]:
    """The axes, grid lines with their tick labels, and the labels along the bottom."""
    plot_w = W - LEFT - RIGHT
    plot_h = H - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for fraction, text in ticks:
        y = TOP + plot_h * (1 - fraction)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" '
            f'stroke="#e4e7ee" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="{GREY}" {FONT}>{escape(text)}</text>'
        )
    slot = plot_w / max(1, len(labels))
    for i, label in enumerate(labels):
        x = LEFT + slot * (i + 0.5)
        parts.append(
            f'<text x="{x:.1f}" y="{H - BOTTOM + 18}" text-anchor="middle" font-size="13" '
            f'fill="#1d2330" {FONT}>{escape(label)}</text>'
        )
    parts.append(
        f'<line x1="{LEFT}" y1="{H - BOTTOM}" x2="{W - RIGHT}" y2="{H - BOTTOM}" '
        f'stroke="{GREY}" stroke-width="1"/>'
    )
    return parts


def bars(title: str, labels: Sequence[str], series: Sequence[Series]) -> Markup:
    """Grouped bars of counts, each bar with its number above it."""
    peak = max([0.0, *(v for s in series for v in s.values if v is not None)])
    top = _nice_top(peak)
    ticks = [(k / 4, f"{top * k / 4:g}") for k in range(5)]
    parts = _frame(title, labels, ticks)
    plot_h = H - TOP - BOTTOM
    slot = (W - LEFT - RIGHT) / max(1, len(labels))
    width = slot * 0.7 / max(1, len(series))
    for i in range(len(labels)):
        start = LEFT + slot * i + slot * 0.15
        for j, s in enumerate(series):
            value = s.values[i]
            if value is None:
                continue
            h = plot_h * value / top
            x = start + width * j
            y = TOP + plot_h - h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width - 2:.1f}" height="{h:.1f}" '
                f'fill="{s.colour}"><title>{escape(f"{labels[i]} {s.name} {value:g}")}'
                f"</title></rect>"
            )
            parts.append(
                f'<text x="{x + (width - 2) / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                f'font-size="12" fill="{s.colour}" {FONT}>{value:g}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def lines(title: str, labels: Sequence[str], series: Sequence[Series]) -> Markup:
    """Lines of rates (0 to 1) with a dot and the percentage at each month that has one;
    a month without a rate (nothing received, nothing rated) breaks the line."""
    ticks = [(k / 4, f"{25 * k}%") for k in range(5)]
    parts = _frame(title, labels, ticks)
    plot_h = H - TOP - BOTTOM
    slot = (W - LEFT - RIGHT) / max(1, len(labels))
    # the first line widest, each next one narrower on top of it: rates that are equal
    # (响应率 and 解决率 often are) stay visible as nested lines
    for k, s in enumerate(series):
        width = 2 + 2.5 * (len(series) - 1 - k)
        points: list[tuple[float, float, float]] = []
        runs: list[list[tuple[float, float]]] = [[]]
        for i, value in enumerate(s.values):
            if value is None:
                runs.append([])
                continue
            x = LEFT + slot * (i + 0.5)
            y = TOP + plot_h * (1 - value)
            runs[-1].append((x, y))
            points.append((x, y, value))
        for run in runs:
            if len(run) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                parts.append(
                    f'<polyline points="{path}" fill="none" stroke="{s.colour}" '
                    f'stroke-width="{width}" stroke-linejoin="round"/>'
                )
        for x, y, value in points:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{width / 2 + 2}" fill="{s.colour}">'
                f"<title>{escape(f'{s.name} {value:.1%}')}</title></circle>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))
