"""Pricing a service for a payer's inputs: the imperative shell around ``pricing`` and
``splitting``. It reads what a rule needs (the base salary in force, the household, the
biller's bills, the violation codes), then leaves the arithmetic to the pure functions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

import msgspec
from psycopg import AsyncConnection

from catalogue import store
from catalogue.billers import Biller, Billers, sandbox_billers
from catalogue.definitions import Service
from catalogue.errors import Conflict, InvalidInput, NotFound
from catalogue.fees import BillFee, FineFee, HouseholdPremiumFee
from catalogue.model import Bill, Quote
from catalogue.pricing import Facts, bills_to_pay, price
from catalogue.splitting import split_total
from catalogue.validation import InputValue, validate_inputs

PORTAL_TIME_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def today_in_vietnam() -> date:
    return datetime.now(PORTAL_TIME_ZONE).date()


async def price_service(
    conn: AsyncConnection,
    service_code: str,
    inputs: Mapping[str, str | int],
    *,
    currency: str | None = None,
    on: date | None = None,
    billers: Billers | None = None,
) -> Quote:
    """What ``service_code`` costs for ``inputs`` on day ``on`` (today in Vietnam by
    default), line by line, and who receives it. ``currency``, if given, is the one the
    caller means to pay in; it must be the service's. A withdrawn service takes no new
    payments. Changes nothing."""
    service = await store.get_service(conn, service_code)
    if not service.active:
        raise Conflict("service_code", "service_withdrawn", f"service {service.code} is withdrawn")
    if currency is not None and currency.upper() != service.currency:
        raise InvalidInput("currency", "wrong_currency",
                           f"service {service.code} is paid in {service.currency}, not {currency}")
    return await quote_service(conn, service, validate_inputs(service, inputs), on=on, billers=billers)


async def quote_service(
    conn: AsyncConnection,
    service: Service,
    values: Mapping[str, InputValue],
    *,
    on: date | None = None,
    billers: Billers | None = None,
) -> Quote:
    """The quote for inputs already validated against ``service``."""
    day = on or today_in_vietnam()
    facts = await _gather_facts(conn, service, values, day, billers or sandbox_billers())
    lines = price(service.fee, facts)
    total_minor = sum(line.amount_minor for line in lines)
    return Quote(service_code=service.code, agency_code=service.agency_code, currency=service.currency,
                 total_minor=total_minor, lines=lines, bills=facts.bills, inputs=dict(values), priced_on=day,
                 allocations=split_total(total_minor, service.agency_code, service.split))


async def mark_quote_paid(
    conn: AsyncConnection, quote: Quote, payment_ref: str, *, billers: Billers | None = None
) -> list[Bill]:
    """Tell each biller that the quote's bills are paid by ``payment_ref``: all or none, in
    the caller's transaction. Safe to repeat with the same ``payment_ref``."""
    billers = billers or sandbox_billers()
    async with conn.transaction():
        return [await billers.bills[bill.biller].mark_paid(conn, bill.reference, payment_ref=payment_ref,
                                                           amount_minor=bill.amount_minor)
                for bill in quote.bills]


async def _gather_facts(conn: AsyncConnection, service: Service, values: Mapping[str, InputValue], day: date,
                        billers: Billers) -> Facts:
    facts = Facts(currency=service.currency, inputs=values)
    match service.fee:
        case HouseholdPremiumFee(registry=registry, lookup_field=field):
            household = await billers.households[registry].find_household(conn, values[field])
            return msgspec.structs.replace(facts, base_salary_minor=await store.base_salary_on(conn, day),
                                           household_members=household.members)
        case FineFee(biller=code, lookup_fields=fields):
            field = next((name for name in fields if name in values), None)
            if field is None:
                raise InvalidInput(fields[0], "missing_field", f"give one of {', '.join(fields)}")
            decisions = await _unpaid_bills(conn, billers.bills[code], field, values[field])
            violations = await store.get_violations(conn, [d.violation_code for d in decisions if d.violation_code])
            return msgspec.structs.replace(facts, bills=decisions, lookup_field=field, violations=violations)
        case BillFee(biller=code, lookup_field=field, bill_field=bill_field):
            outstanding = await _unpaid_bills(conn, billers.bills[code], field, values[field])
            chosen = values.get(bill_field) if bill_field else None
            bills = bills_to_pay(outstanding, None if chosen is None else str(chosen), bill_field or field)
            return msgspec.structs.replace(facts, bills=bills, lookup_field=field)
    return facts


async def _unpaid_bills(conn: AsyncConnection, biller: Biller, field: str, value: InputValue) -> list[Bill]:
    bills = await biller.look_up(conn, field, str(value))
    unpaid = [bill for bill in bills if bill.status == "unpaid"]
    if unpaid:
        return unpaid
    if bills:
        raise Conflict(field, "already_paid", f"everything {biller.code} has for {value} is already paid")
    raise NotFound(field, "nothing_owed", f"{biller.code} has nothing to pay for {value}")
