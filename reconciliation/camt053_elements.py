"""camt.053 elements to values: one ``Stmt`` header, one ``Ntry``.

The versions differ in a few places, handled where they occur: ``Sts`` is text up to
.06 and ``Sts/Cd`` from .07 on; a party's name is ``Dbtr/Nm`` up to .07 and
``Dbtr/Pty/Nm`` from .08 on; the servicer is ``BIC`` or ``BICFI``; a transaction's amount
is ``TxDtls/Amt`` or ``TxDtls/AmtDtls/TxAmt/Amt``.

Entries are read on the hot path of a 100 000-entry file, so each element's children are
collected into a dict once and looked up by qualified tag, rather than searched again
for every field with XPath-like paths (which cost four times as much).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import TypeVar

from lxml import etree

from reconciliation.amounts import parse_amount_minor
from reconciliation.errors import AmountFormatError, StatementFormatError
from reconciliation.model import AccountRef, Balance, CreditDebit, Entry, StatementHeader, TransactionDetails

Element = etree._Element
_T = TypeVar("_T")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:Z|[+-]\d{2}:\d{2})?")
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


class Tags:
    """Qualified tag names in the document's namespace: ``tags.Amt`` is
    ``{urn:iso:std:iso:20022:tech:xsd:camt.053.001.08}Amt``, computed on first use."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    def __getattr__(self, local_name: str) -> str:
        if local_name.startswith("_"):  # not an element name: copy, pickle and friends probe these
            raise AttributeError(local_name)
        qualified = f"{{{self.namespace}}}{local_name}"
        setattr(self, local_name, qualified)
        return qualified


def _children(element: Element | None) -> dict[str, Element]:
    """An element's children by tag (the last one, for a repeated tag)."""
    return {} if element is None else {child.tag: child for child in element}


def _descend(element: Element | None, *tags: str) -> Element | None:
    for tag in tags:
        if element is None:
            return None
        element = next(element.iterchildren(tag), None)
    return element


def _child(element: Element | None, tag: str) -> Element | None:
    return None if element is None else next(element.iterchildren(tag), None)


@functools.lru_cache(maxsize=4096)
def _iso_date(text: str) -> date | None:
    """``2013-01-05`` or ``2013-01-05+07:00`` → the date; ``None`` if it is not one.
    Cached: a statement's entries share a handful of dates."""
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _text(element: Element | None) -> str | None:
    """A leaf's text; ``None`` when the element is absent or empty."""
    return None if element is None else (element.text or None)


class _Reader:
    """Typed accessors that name the element, as ``Stmt[1]/Ntry[7]/Amt``, in every error."""

    def __init__(self, tags: Tags, where: str) -> None:
        self.t = tags
        self.where = where

    def fail(self, step: str, reason: str, element: Element | None) -> StatementFormatError:
        return StatementFormatError(reason, element=f"{self.where}/{step}" if step else self.where,
                                    line=element.sourceline if element is not None else None)

    def required_text(self, element: Element | None, step: str, parent: Element) -> str:
        value = _text(element)
        if value is None:
            raise self.fail(step, "is missing or empty", parent if element is None else element)
        return value

    def amount(self, element: Element | None, step: str, parent: Element) -> tuple[int, str]:
        """``(amount_minor, currency)`` of an ``Amt Ccy="…"`` element."""
        if element is None:
            raise self.fail(step, "is missing", parent)
        currency = element.get("Ccy")
        if not currency:
            raise self.fail(step, "has no Ccy attribute", element)
        try:
            return parse_amount_minor(element.text or "", currency), currency
        except AmountFormatError as error:
            raise self.fail(step, str(error), element) from None

    def credit_debit(self, element: Element | None, parent: Element) -> CreditDebit:
        value = self.required_text(element, "CdtDbtInd", parent).strip()
        try:
            return CreditDebit(value)
        except ValueError:
            raise self.fail("CdtDbtInd", f"is {value!r}, expected CRDT or DBIT", element) from None

    def boolean(self, element: Element | None, step: str) -> bool:
        value = _text(element)
        if value is None:
            return False
        try:
            return _BOOLEANS[value.strip()]
        except KeyError:
            raise self.fail(step, f"{value!r} is not a boolean", element) from None

    def date_choice(self, element: Element | None, step: str) -> date | None:
        """A ``DateAndDateTimeChoice``: ``Dt`` (ISO date, maybe with a zone) or ``DtTm``,
        whose calendar date in its own zone is the day meant."""
        if element is None:
            return None
        day = _text(_child(element, self.t.Dt))
        if day is not None:
            parsed = _iso_date(day.strip())
            if parsed is None:
                raise self.fail(f"{step}/Dt", f"{day!r} is not an ISO date", element)
            return parsed
        moment = self.timestamp(_child(element, self.t.DtTm), f"{step}/DtTm")
        if moment is None:
            raise self.fail(step, "has neither Dt nor DtTm", element)
        return moment.date()

    def timestamp(self, element: Element | None, step: str) -> datetime | None:
        value = _text(element)
        if value is None:
            return None
        return self._convert(datetime.fromisoformat, value.strip(), step, element, "date and time")

    def integer(self, element: Element | None, step: str) -> int | None:
        value = _text(element)
        if value is None:
            return None
        if not value.strip().isdigit():
            raise self.fail(step, f"{value!r} is not a whole number", element)
        return int(value)

    def account_id(self, account: Element | None) -> str | None:
        """``…Acct/Id/IBAN``, else the bank's own ``…Acct/Id/Othr/Id``."""
        identifier = _child(account, self.t.Id)
        if identifier is None:
            return None
        return _text(_child(identifier, self.t.IBAN)) or _text(_child(_child(identifier, self.t.Othr), self.t.Id))

    def _convert(self, parse: Callable[[str], _T], text: str, step: str, element: Element | None, kind: str) -> _T:
        try:
            return parse(text)
        except ValueError:
            raise self.fail(step, f"{text!r} is not a valid {kind}", element) from None


class HeaderReader(_Reader):
    """A ``Stmt`` up to its first ``Ntry``: account, balances, period, sequence numbers."""

    def read(self, statement: Element, version: str, first_entry: Element | None) -> StatementHeader:
        t = self.t
        children = _children(statement)
        account = self._account(children.get(t.Acct), statement)
        balances = tuple(self._balance(element, index)
                         for index, element in enumerate(statement.iterchildren(t.Bal), 1))
        opening = self._unique(balances, "OPBD") or self._unique(balances, "PRCD")
        period = children.get(t.FrToDt)
        return StatementHeader(
            version=version,
            message_id=_text(_descend(statement.getparent(), t.GrpHdr, t.MsgId)),
            statement_id=self.required_text(children.get(t.Id), "Id", statement),
            created_at=self.timestamp(children.get(t.CreDtTm), "CreDtTm"),
            from_datetime=self.timestamp(_descend(period, t.FrDtTm), "FrToDt/FrDtTm"),
            to_datetime=self.timestamp(_descend(period, t.ToDtTm), "FrToDt/ToDtTm"),
            electronic_sequence=self.integer(children.get(t.ElctrncSeqNb), "ElctrncSeqNb"),
            legal_sequence=self.integer(children.get(t.LglSeqNb), "LglSeqNb"),
            account=account,
            currency=self._currency(statement, account, balances, first_entry),
            opening_booked=opening,
            closing_booked=self._unique(balances, "CLBD"),
            balances=balances,
        )

    def _account(self, account: Element | None, statement: Element) -> AccountRef:
        t = self.t
        if account is None:
            raise self.fail("Acct", "is missing", statement)
        identifier = _descend(account, t.Id)
        iban, other = _text(_descend(identifier, t.IBAN)), _text(_descend(identifier, t.Othr, t.Id))
        if iban is None and other is None:
            raise self.fail("Acct/Id", "has neither IBAN nor Othr/Id", account)
        institution = _descend(account, t.Svcr, t.FinInstnId)
        return AccountRef(
            iban=iban, other_id=other, currency=_text(_descend(account, t.Ccy)),
            owner_name=_text(_descend(account, t.Nm)) or _text(_descend(account, t.Ownr, t.Nm)),
            servicer_bic=_text(_descend(institution, t.BIC)) or _text(_descend(institution, t.BICFI)))

    def _balance(self, element: Element, index: int) -> Balance:
        t = self.t
        reader = _Reader(t, f"{self.where}/Bal[{index}]")
        kind = _descend(element, t.Tp, t.CdOrPrtry)
        type_code = _text(_descend(kind, t.Cd)) or _text(_descend(kind, t.Prtry))
        if type_code is None:
            raise reader.fail("Tp/CdOrPrtry", "has neither Cd nor Prtry", element)
        children = _children(element)
        amount_minor, currency = reader.amount(children.get(t.Amt), "Amt", element)
        return Balance(type_code=type_code.strip(), amount_minor=amount_minor, currency=currency,
                       credit_debit=reader.credit_debit(children.get(t.CdtDbtInd), element),
                       balance_date=reader.date_choice(children.get(t.Dt), "Dt"))

    def _unique(self, balances: Iterable[Balance], type_code: str) -> Balance | None:
        found = [balance for balance in balances if balance.type_code == type_code]
        if len(found) > 1:
            raise self.fail("Bal", f"{len(found)} balances of type {type_code}; expected at most one", None)
        return found[0] if found else None

    def _currency(self, statement: Element, account: AccountRef, balances: tuple[Balance, ...],
                  first_entry: Element | None) -> str:
        if account.currency:
            return account.currency
        if balances:
            return balances[0].currency
        entry_currency = (_descend(first_entry, self.t.Amt) if first_entry is not None else None)
        if entry_currency is not None and entry_currency.get("Ccy"):
            return entry_currency.get("Ccy")  # type: ignore[return-value]
        raise self.fail("Acct/Ccy", "is missing, and no balance or entry shows the currency", statement)


class EntryReader(_Reader):
    """One ``Ntry`` and its transaction details."""

    def read(self, ntry: Element) -> Entry:
        t = self.t
        children = _children(ntry)
        amount_minor, currency = self.amount(children.get(t.Amt), "Amt", ntry)
        credit_debit = self.credit_debit(children.get(t.CdtDbtInd), ntry)
        reversal = self.boolean(children.get(t.RvslInd), "RvslInd")
        transactions: list[TransactionDetails] = []
        counterparty = None
        for details in ntry.iterchildren(t.NtryDtls):
            for element in details.iterchildren(t.TxDtls):
                transaction, counterparty = self._transaction(element, len(transactions) + 1, credit_debit, reversal)
                transactions.append(transaction)
        single = transactions[0] if len(transactions) == 1 else None
        return Entry(
            amount_minor=amount_minor,
            currency=currency,
            credit_debit=credit_debit,
            reversal=reversal,
            status=self._status(children.get(t.Sts), ntry),
            booking_date=self.date_choice(children.get(t.BookgDt), "BookgDt"),
            value_date=self.date_choice(children.get(t.ValDt), "ValDt"),
            entry_ref=_text(children.get(t.NtryRef)),
            bank_ref=_text(children.get(t.AcctSvcrRef)),
            bank_transaction_code=self._bank_transaction_code(children.get(t.BkTxCd)),
            additional_info=_text(children.get(t.AddtlNtryInf)),
            end_to_end_id=single.end_to_end_id if single else None,
            remittance_lines=single.remittance_lines if single else (),
            counterparty_name=counterparty if single else None,
            transactions=tuple(transactions),
        )

    def _status(self, element: Element | None, ntry: Element) -> str:
        # Up to .06 ``<Sts>BOOK</Sts>``; from .07 on ``<Sts><Cd>BOOK</Cd></Sts>`` (or Prtry).
        if element is None:
            raise self.fail("Sts", "is missing", ntry)
        value = (element.text or "").strip()
        if not value:  # .07 and later
            value = (_text(_child(element, self.t.Cd)) or _text(_child(element, self.t.Prtry)) or "").strip()
        if not value:
            raise self.fail("Sts", "is empty", element)
        return value

    def _bank_transaction_code(self, element: Element | None) -> str | None:
        """ISO's ``Domain/Family/SubFamily`` (``PMNT/RCDT/ESCT``), else the proprietary code."""
        t = self.t
        if element is None:
            return None
        domain = _child(element, t.Domn)
        if domain is None:
            return _text(_descend(element, t.Prtry, t.Cd))
        codes = _children(domain)
        family = _children(codes.get(t.Fmly))
        parts = (_text(codes.get(t.Cd)), _text(family.get(t.Cd)), _text(family.get(t.SubFmlyCd)))
        return "/".join(part.strip() for part in parts if part) or None

    def _transaction(self, element: Element, index: int, credit_debit: CreditDebit,
                     reversal: bool) -> tuple[TransactionDetails, str | None]:
        t = self.t
        reader = _Reader(t, f"{self.where}/NtryDtls/TxDtls[{index}]")
        children = _children(element)
        refs = _children(children.get(t.Refs))
        amount_minor = currency = None
        amount = children.get(t.Amt)
        step = "Amt"
        if amount is None:
            amount, step = _descend(children.get(t.AmtDtls), t.TxAmt, t.Amt), "AmtDtls/TxAmt/Amt"
        if amount is not None:
            amount_minor, currency = reader.amount(amount, step, element)
        parties = _children(children.get(t.RltdPties))
        debtor, creditor = self._party_name(parties.get(t.Dbtr)), self._party_name(parties.get(t.Cdtr))
        remittance = children.get(t.RmtInf)
        details = TransactionDetails(
            end_to_end_id=_text(refs.get(t.EndToEndId)),
            instruction_id=_text(refs.get(t.InstrId)),
            account_servicer_ref=_text(refs.get(t.AcctSvcrRef)),
            amount_minor=amount_minor,
            currency=currency,
            remittance_lines=() if remittance is None else tuple(
                line.text for line in remittance.iterchildren(t.Ustrd) if line.text),
            debtor_name=debtor,
            debtor_account=self.account_id(parties.get(t.DbtrAcct)),
            creditor_name=creditor,
            creditor_account=self.account_id(parties.get(t.CdtrAcct)),
            additional_info=_text(children.get(t.AddtlTxInf)),
            return_reason=_text(_descend(children.get(t.RtrInf), t.Rsn, t.Cd)),
        )
        return details, counterparty_name(credit_debit, reversal, debtor, creditor)

    def _party_name(self, party: Element | None) -> str | None:
        # Up to .07 ``Dbtr/Nm``; from .08 on ``Dbtr/Pty/Nm`` (Party40Choice).
        if party is None:
            return None
        return _text(_child(party, self.t.Nm)) or _text(_child(_child(party, self.t.Pty), self.t.Nm))


def counterparty_name(credit_debit: CreditDebit, reversal: bool, debtor: str | None,
                      creditor: str | None) -> str | None:
    """The party on the other side of a booking, from the account holder's view.

    On a credit the other side paid us (the debtor); on a debit we paid them (the
    creditor). A reversal undoes a booking of the opposite direction, whose parties the
    bank reports, so the roles swap. When that party is missing the other one stands in.
    """
    paid_us = (credit_debit is CreditDebit.CREDIT) != reversal
    preferred, fallback = (debtor, creditor) if paid_us else (creditor, debtor)
    return preferred or fallback
