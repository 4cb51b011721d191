"""The bank's account API as the sandbox bank speaks it (modelled on Vietnamese banks'
open-banking APIs): search the account's credits by payment reference, and return (part
of) a credit to the payer's account — the only way to refund a bank transfer."""

from __future__ import annotations

import msgspec

from providers.vietqr.notification import CreditNotification


class SearchRequest(msgspec.Struct, frozen=True, kw_only=True):
    reference: str


class SearchAnswer(msgspec.Struct, frozen=True, kw_only=True):
    transactions: list[CreditNotification]


class ReturnRequest(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    transaction_id: str  # the credit to send back
    amount: int
    reference: str  # ours; the bank refuses a second return with it
    description: str


class ReturnAnswer(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    reference: str
    return_id: str = ""
    status: str  # completed | pending | rejected
    amount: int
    failure_code: str | None = None


class BankError(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    message: str = ""
