"""Rules a transfer request must meet before it is worth a round-trip to the database.

PostgreSQL enforces them again (CHECK constraints and the ledger's trigger); checking here
gives a precise answer without a failed statement.
"""

from __future__ import annotations

import re

from ledger.model import MAX_AMOUNT_MINOR, PostPending, StoredTransfer, Transfer, TransferRequest, VoidPending

IDENTIFIER = re.compile(r"^\S{1,200}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")


def first_broken_rule(request: TransferRequest) -> str | None:
    """The name of the first rule ``request`` breaks on its own, or None."""
    if not IDENTIFIER.match(request.id):
        return "id_must_be_1_to_200_non_blank_characters"
    match request:
        case Transfer():
            if not 0 < request.amount_minor <= MAX_AMOUNT_MINOR:
                return "amount_must_be_positive" if request.amount_minor <= 0 else "amount_too_large"
            if request.debit_account == request.credit_account:
                return "accounts_must_be_different"
            if not CURRENCY.match(request.currency):
                return "currency_must_be_iso_4217"
            if not 1 <= len(request.kind) <= 100:
                return "kind_must_be_1_to_100_characters"
            if request.timeout_s is not None and not (request.pending and 0 < request.timeout_s < 2**31):
                return "timeout_only_on_pending" if not request.pending else "timeout_must_be_positive"
        case PostPending(amount_minor=int(amount)) if not 0 < amount <= MAX_AMOUNT_MINOR:
            return "amount_must_be_positive" if amount <= 0 else "amount_too_large"
    return None


def differing_field(request: TransferRequest, stored: StoredTransfer) -> str | None:
    """The first field in which a replayed request differs from the transfer stored under its id."""
    match request:
        case Transfer():
            wanted = {
                "pending": request.pending, "debit_account": request.debit_account,
                "credit_account": request.credit_account, "amount": request.amount_minor,
                "currency": request.currency, "kind": request.kind, "timeout": request.timeout_s,
            }
            actual = {
                "pending": stored.phase == "pending", "debit_account": stored.debit_account,
                "credit_account": stored.credit_account, "amount": stored.amount_minor,
                "currency": stored.currency, "kind": stored.kind, "timeout": stored.timeout_s,
            }
            phase_matches = stored.phase in ("posted", "pending")
        case PostPending():
            wanted = {"pending_id": request.pending_id, "amount": request.amount_minor}
            actual = {"pending_id": stored.pending_id, "amount": stored.amount_minor}
            phase_matches = stored.phase == "post_pending"
        case VoidPending():
            wanted, actual = {"pending_id": request.pending_id}, {"pending_id": stored.pending_id}
            phase_matches = stored.phase == "void_pending"
    if not phase_matches:
        return "phase"
    wanted |= {"external_ref": request.external_ref, "metadata": request.metadata}
    actual |= {"external_ref": stored.external_ref, "metadata": stored.metadata}
    return next((name for name in wanted if wanted[name] != actual[name]), None)
