"""The charts of a run's page, from the figures the console reads: daily volume by
provider, match rate over time, exceptions by cause. Pure: figures and texts in, SVG out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup

from gateway.console.charts import Series, grouped_bar_chart, horizontal_bar_chart, line_chart, percent
from gateway.console.finance_store import CauseCount, DayFigures
from gateway.web.i18n import Translator


@dataclass(frozen=True)
class DayRow:
    """One run's figures, also shown as a table under the charts."""

    business_day: date
    provider: str
    lines: int
    matched: int

    @property
    def match_rate(self) -> float | None:
        return 100 * self.matched / self.lines if self.lines else None


@dataclass(frozen=True)
class RunCharts:
    volume: Markup
    match_rate: Markup
    causes: Markup
    rows: list[DayRow]


def span(until: date, days: int) -> list[date]:
    return [until - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def run_charts(t: Translator, figures: Sequence[DayFigures], causes: Sequence[CauseCount], until: date,
               days: int) -> RunCharts:
    rows = [DayRow(f.business_day, f.provider, f.lines, f.matched) for f in figures]
    by_key = {(row.business_day, row.provider): row for row in rows}
    providers = sorted({row.provider for row in rows})
    dates = span(until, days)
    labels = [d.strftime("%d/%m") for d in dates]

    def series(figure) -> list[Series]:
        return [Series(p, [figure(by_key[d, p]) if (d, p) in by_key else None for d in dates]) for p in providers]

    volume = grouped_bar_chart(t("console.charts.volume.title"), t("console.charts.volume.desc", days=days),
                               labels, series(lambda row: row.lines), chart_id="volume")
    rate = line_chart(t("console.charts.match_rate.title"), t("console.charts.match_rate.desc", days=days),
                      labels, series(lambda row: row.match_rate), chart_id="match-rate", top=100, fmt=percent)
    by_cause = horizontal_bar_chart(t("console.charts.causes.title"), t("console.charts.causes.desc"),
                                    [(t(f"console.class.{c.match_class}"), c.total) for c in causes],
                                    chart_id="causes")
    return RunCharts(volume=volume, match_rate=rate, causes=by_cause, rows=rows)
