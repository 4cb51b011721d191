"""The SVG chart functions: well-formed for any labels and figures, every mark inside the
picture, bar lengths proportional to their figures, an axis that covers the largest one."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from hypothesis import given, settings, strategies as st

from gateway.console.charts import (
    HEIGHT, PLOT_HEIGHT, TOP, WIDTH, Series, grouped_bar_chart, horizontal_bar_chart, line_chart,
    nice_ceiling, percent,
)

SVG = "{http://www.w3.org/2000/svg}"
labels = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)
figures = st.one_of(st.none(), st.integers(0, 10**12).map(float), st.floats(0, 1e9, allow_nan=False))


@st.composite
def charts_data(draw):
    categories = draw(st.lists(labels, min_size=1, max_size=40))
    series = draw(st.lists(st.builds(Series, labels, st.lists(figures, min_size=len(categories),
                                                              max_size=len(categories))), max_size=5))
    return categories, series


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    return root


def inside(root: ET.Element, height: float = HEIGHT) -> None:
    for rect in root.iter(f"{SVG}rect"):
        x, y, w, h = (float(rect.get(k)) for k in ("x", "y", "width", "height"))
        assert 0 <= x and x + w <= WIDTH + 0.1 and 0 <= y and y + h <= height + 0.1 and w >= 0 and h >= 0
    for circle in root.iter(f"{SVG}circle"):
        assert 0 <= float(circle.get("cx")) <= WIDTH and 0 <= float(circle.get("cy")) <= height


@settings(max_examples=60)
@given(charts_data(), labels)
def test_bar_charts_are_well_formed_and_draw_one_bar_per_positive_figure(data, title) -> None:
    categories, series = data
    root = parse(grouped_bar_chart(title, "desc", categories, series, chart_id="c"))
    assert root.find(f"{SVG}title").text == (title or None)
    inside(root)
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(bars) == sum(1 for one in series for v in one.values if v)


@settings(max_examples=60)
@given(st.lists(st.integers(1, 10**9), min_size=2, max_size=12))
def test_bar_heights_are_proportional_to_their_figures(values) -> None:
    root = parse(grouped_bar_chart("t", "d", [str(i) for i in range(len(values))],
                                   [Series("s", [float(v) for v in values])], chart_id="c"))
    heights = [float(r.get("height")) for r in root.iter(f"{SVG}rect")]
    top = nice_ceiling(max(values))
    for value, height in zip(values, heights):
        assert math.isclose(height, value / top * PLOT_HEIGHT, abs_tol=0.06)
    # the tallest bar fits the plot, and no less than 40 % of it (a nice ceiling is close above)
    assert 0.4 * PLOT_HEIGHT - 0.06 <= max(heights) <= PLOT_HEIGHT + 0.06


@settings(max_examples=60)
@given(charts_data())
def test_line_charts_mark_every_figure_and_break_at_missing_ones(data) -> None:
    categories, series = data
    root = parse(line_chart("t", "d", categories, series, chart_id="c"))
    inside(root)
    assert len(list(root.iter(f"{SVG}circle"))) == sum(1 for one in series for v in one.values if v is not None)
    for line in root.iter(f"{SVG}polyline"):
        points = line.get("points").split()
        assert len(points) >= 2 and all(TOP - 0.1 <= float(p.split(",")[1]) <= TOP + PLOT_HEIGHT + 0.1 for p in points)


def test_a_rate_on_a_fixed_axis_reads_as_percent() -> None:
    root = parse(line_chart("Match rate", "d", ["20/11", "21/11", "22/11"],
                            [Series("vnpay", [100.0, None, 50.0])], chart_id="m", top=100, fmt=percent))
    assert [t.text for t in root.iter(f"{SVG}text")][:5] == ["0 %", "25 %", "50 %", "75 %", "100 %"]
    assert not list(root.iter(f"{SVG}polyline"))  # the missing middle figure breaks the line
    full, half = (float(c.get("cy")) for c in root.iter(f"{SVG}circle"))
    assert math.isclose(full, TOP) and math.isclose(half, TOP + PLOT_HEIGHT / 2)


@settings(max_examples=60)
@given(st.lists(st.tuples(labels, st.integers(0, 10**6).map(float)), max_size=10))
def test_horizontal_bars_are_well_formed_and_proportional(bars) -> None:
    svg = horizontal_bar_chart("Exceptions by cause", "d", bars, chart_id="e")
    root = parse(svg)
    height = float(root.get("viewBox").split()[3])
    inside(root, height)
    lengths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert len(lengths) == len(bars)
    if bars and max(v for _, v in bars) > 0:
        longest = max(lengths)
        for (_, value), length in zip(bars, lengths):
            assert math.isclose(length / longest, value / max(v for _, v in bars), abs_tol=0.01)


def test_labels_are_escaped() -> None:
    svg = grouped_bar_chart('<script>alert("x")</script>', "&", ["<b>"], [Series("a&b", [1.0])], chart_id="x")
    assert "<script>" not in svg and "<b>" not in svg
    assert parse(svg).find(f"{SVG}title").text == '<script>alert("x")</script>'


@given(st.floats(0, 1e15, allow_nan=False))
def test_nice_ceiling_covers_the_figure_closely(value) -> None:
    top = nice_ceiling(value)
    assert top >= value and top <= max(1, 2.5 * value)


def test_the_latest_category_is_always_labelled() -> None:
    days = [f"{d:02d}/11" for d in range(1, 15)]
    texts = [t.text for t in parse(grouped_bar_chart("t", "d", days, [Series("s", [1.0] * 14)], chart_id="c"))
             .iter(f"{SVG}text")]
    assert "14/11" in texts and len([t for t in texts if t.endswith("/11")]) <= 8
