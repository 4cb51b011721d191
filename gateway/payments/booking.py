"""What a paid attempt writes beyond the payment itself: its ledger transfers, split as the
catalogue's quote says, and the catalogue's records of what it paid for (bills, a dossier)."""

from __future__ import annotations

import logging

import msgspec
from psycopg import AsyncConnection

from catalogue.errors import CatalogueError
from catalogue.model import Quote, payable_account
from catalogue.procedures import mark_dossier_paid
from catalogue.quoting import mark_quote_paid
from gateway.payments.model import Attempt, PaymentIntent
from ledger.errors import LinkedBatchRejected
from ledger.model import AccountSpec, NormalSide, Transfer
from ledger.store import create_account, post_transfers

log = logging.getLogger(__name__)

SUSPENSE = "suspense"


def clearing_account(provider: str) -> str:
    return f"provider:{provider}:clearing"


def provider_account_specs(provider: str, currency: str) -> list[AccountSpec]:
    """What a provider's payments post to; created when the gateway starts."""
    return [AccountSpec(code=clearing_account(provider), currency=currency, normal_side=NormalSide.DEBIT),
            AccountSpec(code=SUSPENSE, currency=currency, normal_side=NormalSide.CREDIT)]


async def ensure_provider_accounts(conn: AsyncConnection, providers: list[str], currency: str) -> None:
    for provider in providers:
        for spec in provider_account_specs(provider, currency):
            await create_account(conn, spec)


def payment_shares(intent: PaymentIntent) -> list[tuple[str, int]]:
    """(agency, amount) for each receiver of the intent's money: the catalogue's split, or
    all of it to the intent's agency."""
    if intent.quote is None:
        return [(intent.agency_code, intent.amount_minor)]
    return [(a["agency_code"], a["amount_minor"]) for a in intent.quote["allocations"] if a["amount_minor"] > 0]


def payment_transfers(intent: PaymentIntent, attempt: Attempt) -> list[Transfer]:
    """Debit the provider's clearing account, credit each receiving agency (its test-mode
    account for a test-mode payment). Each transfer's id derives from the attempt, so
    booking twice is refused by the ledger as ``exists``."""
    shares = payment_shares(intent)
    assert sum(amount for _, amount in shares) == attempt.amount_minor, "a split adds up to the payment"
    return [
        Transfer(id=f"payment:{attempt.attempt_ref}:{index}", debit_account=clearing_account(attempt.provider),
                 credit_account=payable_account(agency, livemode=intent.livemode), amount_minor=amount,
                 currency=attempt.currency, kind="payment", external_ref=attempt.attempt_ref,
                 metadata={"payment_intent": intent.id, "agency": intent.agency_code})
        for index, (agency, amount) in enumerate(shares)
    ]


async def book_payment(conn: AsyncConnection, intent: PaymentIntent, attempt: Attempt) -> None:
    """In the caller's transaction, awaited: a missing agency account is opened here. (A
    transaction sent in one go books with ledger.store.send_linked_transfers instead.)"""
    transfers = payment_transfers(intent, attempt)
    try:
        await post_transfers(conn, transfers, linked=True)
    except LinkedBatchRejected as refused:
        if refused.code != "credit_account_not_found":
            raise
        # An agency with API keys but no catalogue entry yet has no payable account: open it.
        for transfer in transfers:
            await create_account(conn, AccountSpec(code=transfer.credit_account, currency=transfer.currency,
                                                   normal_side=NormalSide.CREDIT))
        await post_transfers(conn, transfers, linked=True)


async def record_what_was_paid(conn: AsyncConnection, intent: PaymentIntent) -> None:
    """Tell the catalogue: the quote's bills are paid, and the dossier the intent names (its
    ``reference``, in the intent's mode: a test payment never reaches a live dossier) is
    paid. A dossier already paid by another payment is logged, not refused: the citizen's
    money has moved and the ledger holds it."""
    if intent.quote is not None:
        await mark_quote_paid(conn, msgspec.convert(intent.quote, Quote), intent.id)
    if intent.reference and intent.reference.startswith(f"{intent.agency_code}-"):
        try:
            async with conn.transaction():
                await mark_dossier_paid(conn, intent.reference, intent.id, livemode=intent.livemode,
                                        amount_minor=intent.amount_minor)
        except CatalogueError as problem:
            log.warning("payment %s names dossier %s, not marked paid: %s", intent.id, intent.reference,
                        problem.reason)
