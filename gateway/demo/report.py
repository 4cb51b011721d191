"""The demo day's summary as rich tables; and, after several days, one row per day."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table

from gateway.demo.figures import AmountRow, DayFigures, DayOverview

OUTCOME_NAMES = {
    "paid": "paid", "declined": "declined by the provider", "abandoned": "abandoned (payer left, cart expired)",
    "duplicate_callbacks": "paid, callback sent five times", "late_callback": "paid, callback hours late",
    "lost_callback": "paid, callback lost", "wrong_amount": "provider took a wrong amount",
}
RUN_STATUS_NAMES = {"awaiting_statement": "posted, awaiting the bank's statement", "completed": "completed",
                    "running": "stopped part-way", None: "not run"}


def vnd(amount_minor: int) -> str:
    """Đồng as Vietnamese write them: 1.250.000 ₫ (the đồng has no minor unit)."""
    return f"{amount_minor:,} ₫".replace(",", ".")


def render(console: Console, figures: DayFigures) -> None:
    console.print(outcome_table(figures))
    console.print(amount_table("amounts by agency (ledger: credits to each agency's payable account)", "agency",
                               figures.by_agency))
    console.print(amount_table("amounts by provider (ledger: debits of each provider's clearing account)",
                               "provider", figures.by_provider))
    if figures.webhooks:
        console.print(webhook_table(figures))
    console.print(reconciliation_table(figures))
    if figures.exceptions:
        console.print(exception_table(figures))
    for error in figures.errors:
        console.print(f"[red]unexpected:[/red] {error}")


def outcome_table(figures: DayFigures) -> Table:
    table = Table(title=f"payments of business day {figures.business_day} by outcome")
    for column, justify in (("outcome", "left"), ("citizens", "right"), ("succeeded", "right"),
                            ("amount succeeded", "right"), ("still open", "right")):
        table.add_column(column, justify=justify)
    for row in figures.outcomes:
        table.add_row(OUTCOME_NAMES[row.outcome], str(row.visits), str(row.succeeded), vnd(row.succeeded_minor),
                      str(row.still_open))
    table.add_section()
    table.add_row("all", str(sum(r.visits for r in figures.outcomes)), str(sum(r.succeeded for r in figures.outcomes)),
                  vnd(sum(r.succeeded_minor for r in figures.outcomes)),
                  str(sum(r.still_open for r in figures.outcomes)))
    table.caption = f"payments booked in the ledger: {figures.payment_transfers}"
    return table


def amount_table(title: str, name: str, rows: list[AmountRow]) -> Table:
    table = Table(title=title)
    for column, justify in ((name, "left"), ("payments", "right"), ("amount", "right")):
        table.add_column(column, justify=justify)
    for row in rows:
        table.add_row(row.name, str(row.payments), vnd(row.amount_minor))
    return table


def webhook_table(figures: DayFigures) -> Table:
    hooks = figures.webhooks
    table = Table(title="webhooks to the agencies' endpoint")
    table.add_column("what")
    table.add_column("count", justify="right")
    for status, count in sorted(hooks.by_status.items()):
        table.add_row(f"deliveries {status} (gateway)", str(count))
    table.add_row("events verified and received (agencies)", str(hooks.received_events))
    for event_type, count in hooks.received_by_type.items():
        table.add_row(f"  {event_type}", str(count))
    table.add_row("deliveries received, repeats included", str(hooks.received_deliveries))
    table.add_row("refused: bad signature", str(hooks.refused))
    return table


def reconciliation_table(figures: DayFigures) -> Table:
    table = Table(title=f"nightly reconciliation of {figures.business_day}")
    for column, justify in (("provider", "left"), ("run", "left"), ("lines", "right"), ("matched", "right"),
                            ("match rate", "right"), ("lost callbacks recovered", "right"),
                            ("exceptions by class", "left")):
        table.add_column(column, justify=justify)
    for run in figures.runs:
        rate = "" if run.match_rate is None else f"{run.match_rate:.0%}"
        exceptions = ", ".join(f"{name} {count}" for name, count in sorted(run.exceptions.items())) or "none"
        table.add_row(run.provider, RUN_STATUS_NAMES.get(run.status, run.status), str(run.lines), str(run.matched),
                      rate, str(run.recovered), exceptions)
    return table


def exception_table(figures: DayFigures) -> Table:
    table = Table(title="the night's exceptions, for a finance officer (/console/exceptions/<id>)")
    for column in ("id", "provider", "class", "attempt", "status", "what the citizen did"):
        table.add_column(column)
    for row in figures.exceptions:
        table.add_row(str(row.id), row.provider, row.match_class, row.attempt_ref, row.status,
                      OUTCOME_NAMES.get(row.planned or "", "not one of the demo's payments"))
    return table


def days_table(days: list[DayOverview]) -> Table:
    table = Table(title="the demo's business days (ledger and reconciliation, as recorded)")
    for column in ("business day", "payments booked", "amount", "match rate", "open exceptions"):
        table.add_column(column, justify="left" if column == "business day" else "right")
    for day in days:
        rate = "" if day.match_rate is None else f"{day.match_rate:.0%}"
        table.add_row(day.business_day.isoformat(), str(day.payments), vnd(day.amount_minor), rate,
                      str(day.open_exceptions))
    return table


def console_panel(url: str, email: str, password: str, serving: bool) -> Panel:
    lines = [f"finance console: [bold]{url}/console/login[/bold]",
             f"e-mail: {email}", f"password: {password}",
             f"the day's runs: {url}/console/runs   exceptions: {url}/console/exceptions"]
    lines.append("the server keeps running until Ctrl+C" if serving else "the server has stopped (--no-serve)")
    return Panel(Group(*lines), title="inspect the day")
