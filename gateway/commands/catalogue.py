"""``publicpay catalogue``: load a data file, show services, price a service."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import msgspec
import typer
from psycopg import AsyncConnection
from rich.markup import escape
from rich.table import Table

from catalogue import store
from catalogue.definitions import Service
from catalogue.errors import CatalogueError
from catalogue.loading import LoadReport, load_catalogue_file
from catalogue.model import Quote
from catalogue.quoting import price_service
from gateway.commands.common import cli_actor, console, run_or_refuse, settings_or_exit
from gateway.console.audit import record_action
from gateway.startup import prepare_catalogue

catalogue_app = typer.Typer(help="The catalogue: agencies, services and what they cost.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(catalogue_app, name="catalogue")


def _run(work) -> None:
    run_or_refuse(work, (CatalogueError,))


async def _started(conn: AsyncConnection) -> None:
    """The catalogue as the server would find it at first start."""
    await prepare_catalogue(conn, settings_or_exit())


@catalogue_app.command("load")
def load_command(file: Path, reason: str = typer.Option("catalogue update", help="Why, for the audit log.")) -> None:
    """Load a versioned data file: all of it or nothing; the same file again changes nothing."""

    async def load(conn: AsyncConnection) -> None:
        async with conn.transaction():
            report = await load_catalogue_file(conn, file)
            await record_action(conn, actor=cli_actor(), action="catalogue_loaded", target=f"catalogue:{report.version}",
                                reason=reason, details={"file": file.name, **msgspec.to_builtins(report)})
        _print_report(report)

    _run(load)


def _print_report(report: LoadReport) -> None:
    if report.status == "unchanged":
        console.print(f"version {report.version} is already loaded: nothing changed")
        return
    counts = ", ".join(f"{name} {report.created[name]} created / {report.updated[name]} updated" for name in report.created)
    console.print(f"loaded version {report.version}: {counts}")


@catalogue_app.command("show")
def show_command(
    service_code: str = typer.Argument(None, help="A service's code; without it, list the services."),
    search: str = typer.Option(None, "--search", "-s", help="Words to find in codes and names (diacritics optional)."),
) -> None:
    """List the services, or show one: its fields, fee rule, split and providers."""

    async def show(conn: AsyncConnection) -> None:
        await _started(conn)
        if service_code:
            _print_service(await store.get_service(conn, service_code))
        else:
            _print_services(await store.list_services(conn, query=search, limit=100))

    _run(show)


def _print_services(services: list[Service]) -> None:
    table = Table(title=f"{len(services)} service(s)")
    for column in ("code", "name", "agency", "level", "fee"):
        table.add_column(column)
    for service in services:
        table.add_row(service.code, service.name_vi, service.agency_code, str(service.online_level),
                      service.fee.__struct_config__.tag)
    console.print(table)


def _print_service(service: Service) -> None:
    console.print(f"[bold]{service.code}[/bold] {escape(service.name_vi)} / {escape(service.name_en)}")
    console.print(f"agency {service.agency_code}, level {service.online_level}, {service.currency}, "
                  f"providers {', '.join(service.providers)}" + ("" if service.active else ", [red]withdrawn[/red]"))
    fields = Table(title="what the payer gives")
    for column in ("field", "kind", "required", "label", "rule"):
        fields.add_column(column)
    for field in service.fields:
        rule = field.pattern or ", ".join(field.choices) or _range(field.minimum, field.maximum)
        fields.add_row(field.name, field.kind, "yes" if field.required else "no", field.label_vi, escape(rule))
    console.print(fields)
    console.print("fee: " + escape(msgspec.json.encode(service.fee).decode()))
    if service.split:
        console.print("split: " + escape(msgspec.json.encode(service.split).decode()))
    if service.legal_basis:
        console.print(f"legal basis: {escape(service.legal_basis)}")


def _range(minimum: int | None, maximum: int | None) -> str:
    return "" if minimum is None and maximum is None else f"{minimum or 0:,} to {'' if maximum is None else f'{maximum:,}'}"


@catalogue_app.command("price")
def price_command(
    service_code: str,
    inputs: list[str] = typer.Option([], "--input", "-i", help="FIELD=VALUE, once per field."),
    on: datetime = typer.Option(None, formats=["%Y-%m-%d"], help="Price as on this day (default: today in Vietnam)."),
) -> None:
    """What a service costs for the given inputs, line by line, and who receives it."""
    values = dict(_key_value(item) for item in inputs)

    async def price(conn: AsyncConnection) -> None:
        await _started(conn)
        day: date | None = on.date() if on else None
        _print_quote(await price_service(conn, service_code, values, on=day))

    _run(price)


def _key_value(item: str) -> tuple[str, str]:
    key, sign, value = item.partition("=")
    if not sign or not key:
        raise typer.BadParameter(f"{item!r} is not FIELD=VALUE", param_hint="--input")
    return key.strip(), value


def _print_quote(quote: Quote) -> None:
    table = Table(title=f"{quote.service_code} on {quote.priced_on}")
    table.add_column("line")
    table.add_column(quote.currency, justify="right")
    for line in quote.lines:
        table.add_row(escape(line.description), f"{line.amount_minor:,}")
    table.add_row("[bold]total[/bold]", f"[bold]{quote.total_minor:,}[/bold]")
    console.print(table)
    for allocation in quote.allocations:
        console.print(f"  to {allocation.account}: {allocation.amount_minor:,} {quote.currency}")
