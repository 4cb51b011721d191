"""What the gateway tells reconciliation about the attempts whose payment it refused for
their amount: of a run's many references, exactly those, at the run's provider, read in
one statement on a real database."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.reconciling import refused_attempts

CREATED_AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

# (attempt_ref, provider, status, flag): one of each kind a run's missing lines may name.
ATTEMPTS = [
    ("REFUSED00001", "vnpay", "pending", "amount_mismatch"),
    ("REFUSED00002", "vnpay", "failed", "amount_mismatch"),
    ("PAIDLATER001", "vnpay", "succeeded", "amount_mismatch"),  # paid after all: booked
    ("ELSEWHERE001", "momo", "pending", "amount_mismatch"),  # another provider's
    ("PLAINPEND001", "vnpay", "pending", None),
    ("SECONDPAID01", "vnpay", "succeeded", "second_success"),
]


async def add_attempt(conn, number: int, attempt_ref: str, provider: str, status: str, flag: str | None) -> None:
    intent_id = f"pi_{number:024d}"
    await conn.execute(
        "INSERT INTO gateway.payment_intents (agency_code, id, livemode, status, amount_minor, currency,"
        " client_secret, payment_method_types, created_at)"
        " VALUES ('BCA', %s, false, 'processing', 150000, 'VND', 'secret', '{vnpay}', %s)", (intent_id, CREATED_AT))
    await conn.execute(
        "INSERT INTO gateway.payment_attempts (attempt_ref, agency_code, intent_id, livemode, provider, status,"
        " amount_minor, currency, flag, created_at, resolved_at)"
        " VALUES (%s, 'BCA', %s, false, %s, %s, 150000, 'VND', %s, %s, %s)",
        (attempt_ref, intent_id, provider, status, flag, CREATED_AT, None if status == "pending" else CREATED_AT))


async def test_only_the_providers_refused_unpaid_attempts_among_many_references(conn):
    for number, attempt in enumerate(ATTEMPTS):
        await add_attempt(conn, number, *attempt)
    asked = [ref for ref, *_ in ATTEMPTS] + ["NEVERISSUED1"]

    refused = await refused_attempts(conn, "vnpay", asked)

    assert sorted(refused) == ["REFUSED00001", "REFUSED00002"]
    first = refused["REFUSED00001"]
    assert (first.intent_id, first.status, first.flag, first.amount_minor, first.currency, first.created_at) == (
        f"pi_{0:024d}", "pending", "amount_mismatch", 150_000, "VND", CREATED_AT)
    assert await refused_attempts(conn, "vnpay", []) == {}
