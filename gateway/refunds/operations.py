"""Refund operations, in the caller's transaction: reserving the money in the ledger when a
refund is created, and posting or releasing it when the provider answers."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from psycopg import AsyncConnection

from catalogue.model import payable_account
from gateway.errors import UnexpectedState
from gateway.events.store import Origin, append_event
from gateway.keys.model import Scope
from gateway.payments import attempt_store
from gateway.payments import store as intent_store
from gateway.payments.booking import clearing_account, payment_shares
from gateway.payments.model import Attempt, PaymentIntent
from gateway.refunds import store
from gateway.refunds.model import Refund, RefundCreate, RefundStatus, charge_view, provider_refund_ref, refund_event_data
from gateway.refunds.transitions import apply_result, new_refund, refund_shares
from ledger.errors import LinkedBatchRejected
from ledger.model import PostPending, Transfer, VoidPending
from ledger.store import post_transfers
from providers.protocol import RefundResult


async def create_refund(conn: AsyncConnection, scope: Scope, params: RefundCreate, origin: Origin
                        ) -> tuple[Refund, Attempt, bool]:
    """The refund, pending, with its money reserved, its attempt, and whether it is new (a
    create retried after a crash finds the refund it made); the provider is asked afterwards."""
    now = datetime.now(UTC)
    intent = await intent_store.get_intent(conn, scope, params.payment_intent, for_update=True)
    attempt = None if intent.latest_attempt_ref is None else await attempt_store.get_attempt(conn, intent.latest_attempt_ref)
    if origin.idempotency_key is not None:
        earlier = await store.refund_for_idempotency_key(conn, scope, intent.id, origin.idempotency_key)
        if earlier is not None:  # a create retried after a crash: its refund stands
            return earlier, await attempt_store.get_attempt(conn, earlier.attempt_ref), False
    if attempt is None:
        raise UnexpectedState(f"This PaymentIntent ({intent.id}) does not have a successful payment to refund.",
                              code="charge_not_refundable", param="payment_intent")
    refund = new_refund(intent, attempt, params, refunded_minor=await store.refunded_minor(conn, attempt.attempt_ref),
                        now=now)
    refund = msgspec.structs.replace(refund, idempotency_key=origin.idempotency_key)
    await reserve_refund(conn, intent, attempt, refund, origin)
    return refund, attempt, True


async def reserve_refund(conn: AsyncConnection, intent: PaymentIntent, attempt: Attempt, refund: Refund,
                         origin: Origin) -> None:
    await store.insert_refund(conn, refund)
    try:
        await post_transfers(conn, _reservations(intent, attempt, refund), linked=True)
    except LinkedBatchRejected as refused:
        raise UnexpectedState(f"The refund cannot be reserved in the ledger ({refused.result.code}): the money has"
                              " already been remitted to the treasury.", code="balance_insufficient") from None
    await append_event(conn, _scope(refund), "refund.created", refund_event_data(refund), origin, refund.created_at)


async def record_refund_result(conn: AsyncConnection, refund_id: str, result: RefundResult,
                               origin: Origin = Origin()) -> Refund:
    """Post the reserved money when the provider refunded, release it when it refused."""
    now = datetime.now(UTC)
    async with conn.transaction():
        before = await store.refund_by_id(conn, refund_id, for_update=True)
        after = msgspec.structs.replace(apply_result(before, result, now=now),
                                        requested_at=before.requested_at or now)
        await store.save_refund(conn, after)
        if after.status == before.status:
            return after
        scope = _scope(after)
        intent = await intent_store.get_intent(conn, scope, after.intent_id)
        attempt = await attempt_store.get_attempt(conn, after.attempt_ref)
        reserved = [transfer.id for transfer in _reservations(intent, attempt, after)]
        if after.status == RefundStatus.SUCCEEDED:
            resolutions = [PostPending(id=f"{id_}:post", pending_id=id_, external_ref=provider_refund_ref(refund_id)) for id_ in reserved]
        else:
            resolutions = [VoidPending(id=f"{id_}:void", pending_id=id_, external_ref=provider_refund_ref(refund_id)) for id_ in reserved]
        await post_transfers(conn, resolutions, linked=True)
        data = refund_event_data(after) | {"previous_attributes": {"status": before.status}}
        await append_event(conn, scope, "refund.updated" if after.status == RefundStatus.SUCCEEDED else "refund.failed",
                           data, origin, now)
        if after.status == RefundStatus.SUCCEEDED:
            refunded = await store.refunded_minor(conn, after.attempt_ref, succeeded_only=True)
            await append_event(conn, scope, "charge.refunded", {"object": charge_view(intent, attempt, refunded)},
                               origin, now)
        return after


def _reservations(intent: PaymentIntent, attempt: Attempt, refund: Refund) -> list[Transfer]:
    """The refund's share of each agency's part of the payment, reserved until the provider
    answers."""
    return [
        Transfer(id=f"refund:{refund.id}:{index}", debit_account=payable_account(agency, livemode=refund.livemode),
                 credit_account=clearing_account(attempt.provider), amount_minor=amount, currency=refund.currency,
                 kind="refund", pending=True, external_ref=provider_refund_ref(refund.id),
                 metadata={"payment_intent": intent.id, "attempt_ref": attempt.attempt_ref})
        for index, (agency, amount) in enumerate(refund_shares(payment_shares(intent), refund.amount_minor))
        if amount > 0
    ]


def _scope(refund: Refund) -> Scope:
    return Scope(agency_code=refund.agency_code, livemode=refund.livemode)
