"""Sandbox back-ends that behave like the real ones: bills and penalty decisions that can be
looked up and paid once, and a household register. Their state is in PostgreSQL
(``catalogue.sandbox_bills`` and ``catalogue.sandbox_households``), so that "paid exactly
once" holds across processes and replicas, as it does at the real back-end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import msgspec
from psycopg import AsyncConnection, sql
from psycopg.rows import class_row

from catalogue.errors import Conflict, InvalidInput, NotFound
from catalogue.model import CURRENCY, Bill, Household, PositiveAmountMinor

BILL_COLUMNS = """biller, reference, subject, description, period, amount_minor, currency, due_date, violation_code,
       CASE WHEN paid_by IS NULL THEN 'unpaid' ELSE 'paid' END AS status, paid_by"""


@dataclass(frozen=True)
class SandboxBiller:
    """One back-end's bills. ``keys`` maps each payer field it looks up by to the column
    it matches: the bill's own number (``reference``) or its holder (``subject``)."""

    code: str
    keys: dict[str, Literal["reference", "subject"]]

    @property
    def lookup_keys(self) -> tuple[str, ...]:
        return tuple(self.keys)

    async def look_up(self, conn: AsyncConnection, by: str, value: str) -> list[Bill]:
        column = sql.Identifier(self.keys[by])  # a KeyError: a catalogue misconfiguration, refused at load
        async with conn.cursor(row_factory=class_row(Bill)) as cur:
            await cur.execute(sql.SQL(
                "SELECT {} FROM catalogue.sandbox_bills WHERE biller = %s AND {} = %s"
                " ORDER BY due_date NULLS LAST, reference").format(sql.SQL(BILL_COLUMNS), column),
                (self.code, value))
            return await cur.fetchall()

    async def mark_paid(self, conn: AsyncConnection, reference: str, *, payment_ref: str, amount_minor: int) -> Bill:
        async with conn.transaction():  # a savepoint inside the caller's payment transaction
            async with conn.cursor(row_factory=class_row(Bill)) as cur:
                # The row lock makes a concurrent payer wait, then see this payment's mark.
                await cur.execute(f"SELECT {BILL_COLUMNS} FROM catalogue.sandbox_bills"
                                  " WHERE biller = %s AND reference = %s FOR UPDATE", (self.code, reference))
                bill = await cur.fetchone()
            if bill is None:
                raise NotFound("reference", "unknown_bill", f"{self.code} has no bill {reference!r}")
            if bill.paid_by == payment_ref:
                return bill
            if bill.paid_by is not None:
                raise Conflict("reference", "already_paid", f"{self.code} bill {reference} was paid by {bill.paid_by}")
            if amount_minor != bill.amount_minor:
                raise InvalidInput("amount_minor", "wrong_amount",
                                   f"{self.code} bill {reference} is {bill.amount_minor:,}, not {amount_minor:,}")
            await conn.execute("UPDATE catalogue.sandbox_bills SET paid_by = %s, paid_at = now()"
                               " WHERE biller = %s AND reference = %s", (payment_ref, self.code, reference))
        return msgspec.structs.replace(bill, status="paid", paid_by=payment_ref)


@dataclass(frozen=True)
class SandboxHouseholdRegistry:
    code: str
    lookup_keys: tuple[str, ...] = ("social_insurance_number",)

    async def find_household(self, conn: AsyncConnection, social_insurance_number: str) -> Household:
        async with conn.cursor(row_factory=class_row(Household)) as cur:
            await cur.execute("SELECT social_insurance_number, head_name, members, coverage_end"
                              " FROM catalogue.sandbox_households WHERE social_insurance_number = %s",
                              (social_insurance_number,))
            household = await cur.fetchone()
        if household is None:
            raise NotFound("social_insurance_number", "unknown_household",
                           f"{self.code} has no household with member {social_insurance_number}")
        return household


# ---------------------------------------------------------------- what the sandboxes know

class NewBill(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    biller: str
    reference: str
    subject: str
    description: str
    period: str | None = None
    amount_minor: PositiveAmountMinor
    currency: str = CURRENCY
    due_date: date | None = None
    violation_code: str | None = None


class SandboxFixtures(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    bills: list[NewBill] = []
    households: list[Household] = []


async def add_sandbox_fixtures(conn: AsyncConnection, fixtures: SandboxFixtures) -> None:
    """Add bills and households the sandboxes do not have yet; those they have stay as they
    are (a paid bill stays paid), so adding the same fixtures again changes nothing."""
    async with conn.transaction():
        async with conn.cursor() as cur:
            await cur.executemany(
                "INSERT INTO catalogue.sandbox_bills (biller, reference, subject, description, period, amount_minor,"
                " currency, due_date, violation_code) VALUES (%(biller)s, %(reference)s, %(subject)s, %(description)s,"
                " %(period)s, %(amount_minor)s, %(currency)s, %(due_date)s, %(violation_code)s)"
                " ON CONFLICT (biller, reference) DO NOTHING",
                [msgspec.structs.asdict(bill) for bill in fixtures.bills])
            await cur.executemany(
                "INSERT INTO catalogue.sandbox_households (social_insurance_number, head_name, members, coverage_end)"
                " VALUES (%(social_insurance_number)s, %(head_name)s, %(members)s, %(coverage_end)s)"
                " ON CONFLICT (social_insurance_number) DO NOTHING",
                [msgspec.structs.asdict(household) for household in fixtures.households])
