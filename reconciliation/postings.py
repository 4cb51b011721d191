"""The ledger transfers a run posts, as pure functions of its totals.

Every id is derived from (provider, business day, purpose), so posting the same run again
meets the ledger's idempotency (``exists``) and moves no money twice.

A settled file, in the run's currency (refunds counted negative in the gross):

=========================  ==========================  ==========================
transfer                   debit                       credit
=========================  ==========================  ==========================
fee on attributed lines    ``fees:provider:<P>``       ``provider:<P>:clearing``
net of attributed lines    ``bank:<S>:settlement``     ``provider:<P>:clearing``
fee on unattributed lines  ``fees:provider:<P>``       ``suspense``
net of unattributed lines  ``bank:<S>:settlement``     ``suspense``
=========================  ==========================  ==========================

so the bank account receives the file's whole net, the clearing account is relieved of
exactly what the ledger can prove, and what it cannot waits in suspense for finance staff.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ledger.model import AccountSpec, NormalSide, Transfer
from reconciliation.runs import ProviderSetup, SettlementTotals

SUSPENSE = "suspense"


def clearing_account(provider: str) -> str:
    return f"provider:{provider}:clearing"


def bank_account(bank: str) -> str:
    return f"bank:{bank}:settlement"


def fee_account(provider: str) -> str:
    return f"fees:provider:{provider}"


def payable_account(agency: str) -> str:
    return f"agency:{agency}:payable"


def treasury_account(agency: str) -> str:
    return f"treasury:{agency}"


def provider_account_specs(setup: ProviderSetup) -> list[AccountSpec]:
    """The accounts a run posts to besides the agencies' (which the catalogue creates)."""
    currency = setup.currency
    return [
        AccountSpec(code=clearing_account(setup.provider), currency=currency, normal_side=NormalSide.DEBIT),
        AccountSpec(code=bank_account(setup.bank), currency=currency, normal_side=NormalSide.DEBIT),
        AccountSpec(code=fee_account(setup.provider), currency=currency, normal_side=NormalSide.DEBIT),
        AccountSpec(code=SUSPENSE, currency=currency, normal_side=NormalSide.CREDIT),
    ]


def treasury_account_spec(agency: str, currency: str) -> AccountSpec:
    return AccountSpec(code=treasury_account(agency), currency=currency, normal_side=NormalSide.CREDIT)


def transfer_id(provider: str, day: date, purpose: str) -> str:
    return f"recon:{provider}:{day.isoformat()}:{purpose}"


def _signed(id_: str, debit: str, credit: str, amount_minor: int, currency: str, kind: str,
            metadata: dict[str, Any]) -> list[Transfer]:
    """A transfer of ``amount_minor`` from credit to debit; a negative amount flows the
    other way (a day whose refunds exceed its payments), and zero posts nothing."""
    if amount_minor == 0:
        return []
    if amount_minor < 0:
        debit, credit = credit, debit
    return [Transfer(id=id_, debit_account=debit, credit_account=credit, amount_minor=abs(amount_minor),
                     currency=currency, kind=kind, metadata=metadata)]


def settlement_transfers(setup: ProviderSetup, day: date, totals: SettlementTotals) -> list[Transfer]:
    """Fees and net settlement of one run, to be posted as one linked batch."""
    p, c = setup.provider, setup.currency
    meta = {"provider": p, "business_day": day.isoformat()}
    clearing, bank, fees = clearing_account(p), bank_account(setup.bank), fee_account(p)
    return [
        *_signed(transfer_id(p, day, "fee"), fees, clearing, totals.fee_attributed_minor, c, "provider_fee", meta),
        *_signed(transfer_id(p, day, "net"), bank, clearing,
                 totals.gross_attributed_minor - totals.fee_attributed_minor, c, "settlement", meta),
        *_signed(transfer_id(p, day, "fee:unattributed"), fees, SUSPENSE, totals.fee_unattributed_minor, c,
                 "provider_fee", meta),
        *_signed(transfer_id(p, day, "net:unattributed"), bank, SUSPENSE,
                 totals.gross_unattributed_minor - totals.fee_unattributed_minor, c, "settlement", meta),
    ]


def remittance_transfer(setup: ProviderSetup, day: date, agency: str, amount_minor: int) -> Transfer:
    assert amount_minor > 0, "only a positive settled amount is remitted"
    return Transfer(id=transfer_id(setup.provider, day, f"remit:{agency}"), debit_account=payable_account(agency),
                    credit_account=treasury_account(agency), amount_minor=amount_minor, currency=setup.currency,
                    kind="remittance", metadata={"provider": setup.provider, "business_day": day.isoformat()})

