"""Charts as SVG, drawn on the server by pure functions: no script, no CDN, nothing for the
Content-Security-Policy to allow (colours are presentation attributes, not styles).

Each chart is an ``<svg role="img">`` with a title and description for screen readers;
pages also show the figures as a table. Coordinates are in a fixed viewBox; the SVG scales
to its container's width.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 36, 44  # room for the axis labels and the legend
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
MAX_CATEGORY_LABELS = 8  # beyond this, label every k-th category so that labels do not overlap
TICKS = 4
BAR_FILL = 0.8  # share of a category's width its bars take
# GOV.UK's palette: distinguishable, and each at least 3:1 against white.
COLOURS = ("#1d70b8", "#d4351c", "#00703c", "#f47738", "#4c2c92", "#28a197", "#b58840", "#912b88")
AXIS, GRID, TEXT = "#505a5f", "#d9d9d9", "#0b0c0c"


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # one per category; None: no figure for that category


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k that is >= value; at least 1, since the figures
    charted are counts and percentages (and an empty chart still needs an axis)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value)


def plain_number(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".") if value == int(value) else f"{value:,.1f}"


def percent(value: float) -> str:
    return f"{value:.0f} %"


def _y(value: float, top: float) -> float:
    return TOP + PLOT_HEIGHT - value / top * PLOT_HEIGHT


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _open(title: str, description: str, chart_id: str, height: int = HEIGHT) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img"'
            f' aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="Arial, sans-serif" font-size="12">',
            f'<title id="{chart_id}-title">{escape(title)}</title>',
            f'<desc id="{chart_id}-desc">{escape(description)}</desc>']


def _value_axis(top: float, fmt: Callable[[float], str]) -> list[str]:
    parts = []
    for tick in range(TICKS + 1):
        value = top * tick / TICKS
        y = _num(_y(value, top))
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}" stroke="{GRID if tick else AXIS}"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y}" text-anchor="end" dominant-baseline="middle"'
                     f' fill="{TEXT}">{escape(fmt(value))}</text>')
    return parts


def _category_axis(categories: Sequence[str]) -> list[str]:
    every = max(1, math.ceil(len(categories) / MAX_CATEGORY_LABELS))
    step = PLOT_WIDTH / max(1, len(categories))
    # Counted from the end: the latest category (the day being read) always has its label.
    return [f'<text x="{_num(LEFT + step * (i + 0.5))}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle"'
            f' fill="{TEXT}">{escape(label)}</text>'
            for i, label in enumerate(categories) if (len(categories) - 1 - i) % every == 0]


def _legend(series: Sequence[Series]) -> list[str]:
    parts, x = [], LEFT
    for i, one in enumerate(series):
        parts.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{COLOURS[i % len(COLOURS)]}"/>')
        parts.append(f'<text x="{x + 16}" y="18" fill="{TEXT}">{escape(one.name)}</text>')
        x += 28 + 7 * len(one.name)
    return parts


def _check(categories: Sequence[str], series: Sequence[Series]) -> None:
    for one in series:
        assert len(one.values) == len(categories), f"series {one.name!r}: one value per category"
        assert all(v is None or (v >= 0 and math.isfinite(v)) for v in one.values), "figures are finite and >= 0"


def grouped_bar_chart(title: str, description: str, categories: Sequence[str], series: Sequence[Series], *,
                      chart_id: str, fmt: Callable[[float], str] = plain_number) -> Markup:
    """One group of bars per category, one bar per series (a None or 0 draws no bar)."""
    _check(categories, series)
    top = nice_ceiling(max((v for one in series for v in one.values if v is not None), default=0))
    step = PLOT_WIDTH / max(1, len(categories))
    bar_width = step * BAR_FILL / max(1, len(series))
    parts = _open(title, description, chart_id) + _value_axis(top, fmt) + _category_axis(categories)
    for s, one in enumerate(series):
        colour = COLOURS[s % len(COLOURS)]
        for i, value in enumerate(one.values):
            if not value:
                continue
            x, y = LEFT + step * i + step * (1 - BAR_FILL) / 2 + bar_width * s, _y(value, top)
            parts.append(f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(bar_width)}"'
                         f' height="{_num(TOP + PLOT_HEIGHT - y)}" fill="{colour}"><title>'
                         f'{escape(categories[i])}, {escape(one.name)}: {escape(fmt(value))}</title></rect>')
    return Markup("\n".join(parts + _legend(series) + ["</svg>"]))


def line_chart(title: str, description: str, categories: Sequence[str], series: Sequence[Series], *,
               chart_id: str, top: float | None = None, fmt: Callable[[float], str] = plain_number) -> Markup:
    """One line per series through its figures; a None breaks the line. ``top`` fixes the
    axis (100 for a rate), otherwise it is the figures' nice ceiling."""
    _check(categories, series)
    top = top or nice_ceiling(max((v for one in series for v in one.values if v is not None), default=0))
    step = PLOT_WIDTH / max(1, len(categories))
    parts = _open(title, description, chart_id) + _value_axis(top, fmt) + _category_axis(categories)
    for s, one in enumerate(series):
        colour = COLOURS[s % len(COLOURS)]
        points = [(LEFT + step * (i + 0.5), _y(min(v, top), top), i, v) for i, v in enumerate(one.values)
                  if v is not None]
        for run in _unbroken(points):
            if len(run) > 1:
                parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="'
                             + " ".join(f"{_num(x)},{_num(y)}" for x, y, _, _ in run) + '"/>')
        parts += [f'<circle cx="{_num(x)}" cy="{_num(y)}" r="3.5" fill="{colour}"><title>{escape(categories[i])},'
                  f' {escape(one.name)}: {escape(fmt(v))}</title></circle>' for x, y, i, v in points]
    return Markup("\n".join(parts + _legend(series) + ["</svg>"]))


def _unbroken(points: list[tuple[float, float, int, float]]) -> list[list[tuple[float, float, int, float]]]:
    """Runs of consecutive categories: a line is not drawn across a missing figure."""
    runs: list[list[tuple[float, float, int, float]]] = []
    for point in points:
        if runs and runs[-1][-1][2] == point[2] - 1:
            runs[-1].append(point)
        else:
            runs.append([point])
    return runs


def horizontal_bar_chart(title: str, description: str, bars: Sequence[tuple[str, float]], *, chart_id: str,
                         fmt: Callable[[float], str] = plain_number) -> Markup:
    """One labelled bar per (label, figure), longest scale first as given."""
    assert all(v >= 0 and math.isfinite(v) for _, v in bars), "figures are finite and >= 0"
    top = nice_ceiling(max((v for _, v in bars), default=0))
    label_width, row = 170, 28
    height = TOP + row * max(1, len(bars)) + 8  # as tall as its rows
    plot = WIDTH - label_width - RIGHT - 60  # room for the figure after the bar
    parts = _open(title, description, chart_id, height)
    for i, (label, value) in enumerate(bars):
        y = TOP + row * i
        length = value / top * plot
        parts.append(f'<text x="{label_width - 8}" y="{y + row / 2}" text-anchor="end" dominant-baseline="middle"'
                     f' fill="{TEXT}">{escape(label)}</text>')
        parts.append(f'<rect x="{label_width}" y="{y + 4}" width="{_num(length)}" height="{row - 8}"'
                     f' fill="{COLOURS[0]}"><title>{escape(label)}: {escape(fmt(value))}</title></rect>')
        parts.append(f'<text x="{_num(label_width + length + 6)}" y="{y + row / 2}" dominant-baseline="middle"'
                     f' fill="{TEXT}">{escape(fmt(value))}</text>')
    return Markup("\n".join(parts + ["</svg>"]))
