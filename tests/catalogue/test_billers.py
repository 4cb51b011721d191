"""The sandbox back-ends: a bill or a fine is marked paid exactly once, inside the payer's
transaction, however many processes try."""

import asyncio

import psycopg
import pytest

from catalogue.billers import load_sandbox_fixtures, sandbox_billers
from catalogue.errors import Conflict, InvalidInput, NotFound
from catalogue.quoting import mark_quote_paid, price_service

BILLERS = sandbox_billers()
EVN, CSGT = BILLERS.bills["evn"], BILLERS.bills["csgt"]
DECISION = "0012347/QĐ-XPVPHC"


async def test_looking_up_by_decision_or_by_plate_finds_the_same_decision(seeded):
    [by_number] = await CSGT.look_up(seeded, "decision_number", DECISION)
    [by_plate] = await CSGT.look_up(seeded, "plate_number", "29B112345")
    assert by_number == by_plate
    assert (by_number.violation_code, by_number.amount_minor, by_number.status) == ("ND168-D7-K2-H", 500_000, "unpaid")


async def test_a_household_has_its_members_and_coverage(seeded):
    household = await BILLERS.households["bhxh"].find_household(seeded, "0123456789")
    assert (household.members, str(household.coverage_end)) == (5, "2025-06-30")


async def test_paying_a_quote_marks_its_bills_paid_once_and_a_replay_is_harmless(seeded):
    quote = await price_service(seeded, "EVN-TIENDIEN", {"customer_code": "PE01000012345"})
    paid = await mark_quote_paid(seeded, quote, "pi_1")
    assert [(b.status, b.paid_by) for b in paid] == [("paid", "pi_1"), ("paid", "pi_1")]
    assert await mark_quote_paid(seeded, quote, "pi_1") == paid
    with pytest.raises(Conflict) as twice:
        await mark_quote_paid(seeded, quote, "pi_2")
    assert (twice.value.field, twice.value.code) == ("reference", "already_paid")
    with pytest.raises(Conflict) as nothing_left:
        await price_service(seeded, "EVN-TIENDIEN", {"customer_code": "PE01000012345"})
    assert (nothing_left.value.field, nothing_left.value.code) == ("customer_code", "already_paid")


async def test_paying_one_bill_marks_it_alone_and_leaves_the_others_outstanding(seeded):
    customer = {"customer_code": "PE01000012345"}
    one = await price_service(seeded, "EVN-TIENDIEN", customer | {"bill_reference": "pe01000012345-202506"})
    assert ([b.reference for b in one.bills], one.total_minor) == (["PE01000012345-202506"], 389_900)
    await mark_quote_paid(seeded, one, "pi_1")
    rest = await price_service(seeded, "EVN-TIENDIEN", customer)
    assert ([b.reference for b in rest.bills], rest.total_minor) == (["PE01000012345-202505"], 412_350)
    for not_outstanding in ("PE01000012345-202506", "PD01000067890-202506"):  # paid; another customer's
        with pytest.raises(InvalidInput) as refused:
            await price_service(seeded, "EVN-TIENDIEN", customer | {"bill_reference": not_outstanding})
        assert (refused.value.field, refused.value.code) == ("bill_reference", "bill_not_outstanding")


async def test_a_bill_is_paid_only_if_the_payers_transaction_commits(seeded):
    quote = await price_service(seeded, "BCA-XPVPHC-GT", {"decision_number": DECISION})
    with pytest.raises(RuntimeError):
        async with seeded.transaction():
            await mark_quote_paid(seeded, quote, "pi_1")
            raise RuntimeError("the payment's ledger transfer failed")
    [decision] = await CSGT.look_up(seeded, "decision_number", DECISION)
    assert decision.status == "unpaid"


async def test_the_amount_must_be_the_bills_and_the_bill_must_exist(seeded):
    with pytest.raises(InvalidInput) as wrong:
        await CSGT.mark_paid(seeded, DECISION, payment_ref="pi_1", amount_minor=400_000)
    assert (wrong.value.field, wrong.value.code) == ("amount_minor", "wrong_amount")
    with pytest.raises(NotFound) as unknown:
        await EVN.mark_paid(seeded, "PE00000000000-202501", payment_ref="pi_1", amount_minor=1)
    assert (unknown.value.field, unknown.value.code) == ("reference", "unknown_bill")


async def test_the_database_refuses_to_repay_a_paid_bill_whoever_writes(seeded):
    await CSGT.mark_paid(seeded, DECISION, payment_ref="pi_1", amount_minor=500_000)
    with pytest.raises(psycopg.errors.CheckViolation, match="was paid by pi_1"):
        await seeded.execute("UPDATE catalogue.sandbox_bills SET paid_by = 'pi_2' WHERE reference = %s", (DECISION,))


async def test_concurrent_payers_of_one_decision_one_wins(seeded, database_url):
    # Each payer holds its transaction open a moment after marking, as a payment would
    # while it posts its ledger transfer: the others wait on the row, then see it paid.
    async def pay(payment_ref: str) -> str:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            try:
                async with conn.transaction():
                    await CSGT.mark_paid(conn, DECISION, payment_ref=payment_ref, amount_minor=500_000)
                    await asyncio.sleep(0.05)
                return "paid"
            except Conflict as exc:
                return exc.code

    outcomes = await asyncio.gather(*(pay(f"pi_{n}") for n in range(8)))
    assert sorted(outcomes) == ["already_paid"] * 7 + ["paid"]
    [decision] = await CSGT.look_up(seeded, "decision_number", DECISION)
    assert decision.status == "paid"


async def test_loading_the_sandbox_fixtures_again_keeps_what_was_paid(seeded):
    await CSGT.mark_paid(seeded, DECISION, payment_ref="pi_1", amount_minor=500_000)
    await load_sandbox_fixtures(seeded)
    [decision] = await CSGT.look_up(seeded, "decision_number", DECISION)
    assert decision.paid_by == "pi_1"
