
# protocols
# Strategies for the pure protocol code: camt.053 statements (with the small writer that
# turns them into XML, so that parsing can be checked against what was written), VietQR
# values, VNPAY parameters and MoMo messages.

import datetime as _dt

from hypothesis import strategies as _st
from lxml import etree as _etree
from lxml.builder import ElementMaker as _ElementMaker

from providers.momo.signing import CreatePaymentRequest as _MomoCreate
from providers.momo.signing import PaymentResult as _MomoResult
from providers.vietqr.emvco import Initiation as _Initiation
from providers.vietqr.emvco import Service as _Service
from providers.vietqr.emvco import VietQR as _VietQR
from reconciliation.amounts import format_amount_minor as _format_amount
from reconciliation.model import (
    AccountRef as _AccountRef,
    Balance as _Balance,
    CreditDebit as _CreditDebit,
    Entry as _Entry,
    Statement as _Statement,
    StatementHeader as _StatementHeader,
    TransactionDetails as _TransactionDetails,
)

CAMT053_VERSIONS = ("camt.053.001.02", "camt.053.001.04", "camt.053.001.06", "camt.053.001.08",
                    "camt.053.001.10", "camt.053.001.12")
# One currency per ISO 4217 exponent the parser must scale by.
STATEMENT_CURRENCIES = ("VND", "EUR", "KWD")

# XML 1.0 text that survives a round trip: no control characters (a parser turns \r into
# \n), no surrogates or non-characters.
camt_text = _st.text(_st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cn")), min_size=1, max_size=20)
_codes = _st.text(_st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), min_size=4, max_size=4)
_dates = _st.dates(min_value=_dt.date(2000, 1, 1), max_value=_dt.date(2099, 12, 31))
_moments = _st.datetimes(min_value=_dt.datetime(2000, 1, 1), max_value=_dt.datetime(2099, 12, 31),
                         timezones=_st.sampled_from([_dt.UTC, _dt.timezone(_dt.timedelta(hours=7))]))
_amounts_minor = _st.integers(min_value=0, max_value=10**15)
_upper, _digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"
_ibans = _st.builds(str.__add__, _st.text(_upper, min_size=2, max_size=2) | _st.just("VN"),
                    _st.text(_digits + _upper, min_size=12, max_size=32))
_bics = _st.builds(str.__add__, _st.text(_upper, min_size=6, max_size=6), _st.text(_upper + _digits, min_size=2, max_size=2))


@_st.composite
def camt_transactions(draw, currency: str) -> _TransactionDetails:  # type: ignore[no-untyped-def]
    has_amount = draw(_st.booleans())
    optional = _st.none() | camt_text
    return _TransactionDetails(
        end_to_end_id=draw(optional), instruction_id=draw(optional), account_servicer_ref=draw(optional),
        amount_minor=draw(_amounts_minor) if has_amount else None, currency=currency if has_amount else None,
        remittance_lines=tuple(draw(_st.lists(camt_text, max_size=2))),
        debtor_name=draw(optional), debtor_account=draw(optional),
        creditor_name=draw(optional), creditor_account=draw(optional),
        additional_info=draw(optional), return_reason=draw(_st.none() | _codes))


@_st.composite
def camt_entries(draw, currency: str) -> _Entry:  # type: ignore[no-untyped-def]
    credit_debit = draw(_st.sampled_from(_CreditDebit))
    reversal = draw(_st.booleans())
    transactions = tuple(draw(_st.lists(camt_transactions(currency), max_size=2)))
    single = transactions[0] if len(transactions) == 1 else None
    counterparty = None
    if single is not None:  # the other side: the debtor of a credit, the creditor of a debit, swapped by a reversal
        paid_us = (credit_debit is _CreditDebit.CREDIT) != reversal
        first, second = (single.debtor_name, single.creditor_name) if paid_us else (single.creditor_name, single.debtor_name)
        counterparty = first or second
    bank_code = draw(_st.none() | _st.builds("/".join, _st.lists(_codes, min_size=1, max_size=3)))
    return _Entry(
        amount_minor=draw(_amounts_minor), currency=currency, credit_debit=credit_debit, reversal=reversal,
        status=draw(_st.sampled_from(("BOOK", "BOOK", "PDNG", "INFO"))),
        booking_date=draw(_st.none() | _dates), value_date=draw(_st.none() | _dates),
        entry_ref=draw(_st.none() | camt_text), bank_ref=draw(_st.none() | camt_text),
        bank_transaction_code=bank_code, additional_info=draw(_st.none() | camt_text),
        end_to_end_id=single.end_to_end_id if single else None,
        remittance_lines=single.remittance_lines if single else (),
        counterparty_name=counterparty, transactions=transactions)


@_st.composite
def camt_statements(draw, version: str, message_id: str | None, max_entries: int = 5) -> _Statement:  # type: ignore[no-untyped-def]
    currency = draw(_st.sampled_from(STATEMENT_CURRENCIES))
    entries = tuple(draw(_st.lists(camt_entries(currency), max_size=max_entries)))
    balance_types = draw(_st.lists(_st.sampled_from(("OPBD", "PRCD", "CLBD", "CLAV", "ITBD")), unique=True, max_size=4))
    balances = tuple(
        _Balance(type_code=code, amount_minor=draw(_amounts_minor), currency=currency,
                 credit_debit=draw(_st.sampled_from(_CreditDebit)), balance_date=draw(_st.none() | _dates))
        for code in balance_types)
    by_type = {balance.type_code: balance for balance in balances}
    opening = by_type.get("OPBD") or by_type.get("PRCD")
    if opening is not None and "CLBD" in by_type and draw(_st.booleans()):
        # Half the time, a statement that adds up: closing = opening + booked entries.
        closing_minor = opening.signed_minor + sum(e.signed_minor for e in entries if e.status == "BOOK")
        closing = _Balance(type_code="CLBD", amount_minor=abs(closing_minor), currency=currency,
                           credit_debit=_CreditDebit.CREDIT if closing_minor >= 0 else _CreditDebit.DEBIT,
                           balance_date=by_type["CLBD"].balance_date)
        balances = tuple(closing if balance.type_code == "CLBD" else balance for balance in balances)
        by_type["CLBD"] = closing
    iban = draw(_st.none() | _ibans)
    account = _AccountRef(
        iban=iban, other_id=draw(camt_text) if iban is None else None,  # IBAN xor Othr, as in the schema
        # Without Acct/Ccy the currency comes from the first balance, else the first entry.
        currency=currency if not (balances or entries) else draw(_st.sampled_from((currency, None))),
        owner_name=draw(_st.none() | camt_text), servicer_bic=draw(_st.none() | _bics))
    header = _StatementHeader(
        version=version, message_id=message_id, statement_id=draw(camt_text),
        created_at=draw(_st.none() | _moments), from_datetime=draw(_st.none() | _moments),
        to_datetime=draw(_st.none() | _moments),
        electronic_sequence=draw(_st.none() | _st.integers(0, 10**6)),
        legal_sequence=draw(_st.none() | _st.integers(0, 10**6)),
        account=account, currency=currency,
        opening_booked=opening, closing_booked=by_type.get("CLBD"),
        balances=balances)
    return _Statement(header=header, entries=entries)


@_st.composite
def camt_documents(draw, versions: tuple[str, ...] = CAMT053_VERSIONS) -> list[_Statement]:  # type: ignore[no-untyped-def]
    """One camt.053 document's statements (all of one version and message id)."""
    version = draw(_st.sampled_from(versions))
    message_id = draw(_st.none() | camt_text)
    return draw(_st.lists(camt_statements(version, message_id), min_size=1, max_size=2))


def write_camt053(statements: list[_Statement]) -> bytes:
    """A camt.053 document of ``statements``, in the element order of the schema of their
    version and with the version's own spellings (``Sts/Cd`` from .07, ``Pty/Nm`` from
    .08, ``BICFI`` from .03, ``TxDtls/Amt`` from .03)."""
    header = statements[0].header
    namespace = f"urn:iso:std:iso:20022:tech:xsd:{header.version}"
    number = int(header.version.rsplit(".", 1)[1])
    E = _ElementMaker(namespace=namespace, nsmap={None: namespace})

    def present(*children):  # type: ignore[no-untyped-def]
        return [child for child in children if child is not None]

    def leaf(tag, value):  # type: ignore[no-untyped-def]
        return None if value is None else getattr(E, tag)(str(value))

    def amount(value, currency):  # type: ignore[no-untyped-def]
        return E.Amt(_format_amount(value, currency), Ccy=currency)

    def date_choice(tag, value):  # type: ignore[no-untyped-def]
        return None if value is None else getattr(E, tag)(E.Dt(value.isoformat()))

    def account_id(tag, identifier):  # type: ignore[no-untyped-def]
        return None if identifier is None else getattr(E, tag)(E.Id(E.Othr(E.Id(identifier))))

    def party(tag, name):  # type: ignore[no-untyped-def]
        if name is None:
            return None
        return getattr(E, tag)(E.Pty(E.Nm(name)) if number >= 8 else E.Nm(name))

    def transaction(tx):  # type: ignore[no-untyped-def]
        refs = present(leaf("AcctSvcrRef", tx.account_servicer_ref), leaf("InstrId", tx.instruction_id),
                       leaf("EndToEndId", tx.end_to_end_id))
        tx_amount = None if tx.amount_minor is None else amount(tx.amount_minor, tx.currency)
        parties = present(party("Dbtr", tx.debtor_name), account_id("DbtrAcct", tx.debtor_account),
                          party("Cdtr", tx.creditor_name), account_id("CdtrAcct", tx.creditor_account))
        return E.TxDtls(*present(
            E.Refs(*refs) if refs else None,
            tx_amount if number >= 3 else None,
            E.AmtDtls(E.TxAmt(tx_amount)) if number < 3 and tx_amount is not None else None,
            E.RltdPties(*parties) if parties else None,
            E.RmtInf(*[E.Ustrd(line) for line in tx.remittance_lines]) if tx.remittance_lines else None,
            E.RtrInf(E.Rsn(E.Cd(tx.return_reason))) if tx.return_reason else None,
            leaf("AddtlTxInf", tx.additional_info)))

    def bank_transaction_code(code):  # type: ignore[no-untyped-def]
        if code is None:
            return None
        domain, family, sub_family = (code.split("/") + [None, None])[:3]
        return E.BkTxCd(E.Domn(*present(E.Cd(domain), E.Fmly(*present(leaf("Cd", family), leaf("SubFmlyCd", sub_family)))
                                        if family else None)))

    def entry(item):  # type: ignore[no-untyped-def]
        return E.Ntry(*present(
            leaf("NtryRef", item.entry_ref), amount(item.amount_minor, item.currency),
            E.CdtDbtInd(item.credit_debit.value), E.RvslInd("true") if item.reversal else None,
            E.Sts(E.Cd(item.status)) if number >= 7 else E.Sts(item.status),
            date_choice("BookgDt", item.booking_date), date_choice("ValDt", item.value_date),
            leaf("AcctSvcrRef", item.bank_ref), bank_transaction_code(item.bank_transaction_code),
            E.NtryDtls(*[transaction(tx) for tx in item.transactions]) if item.transactions else None,
            leaf("AddtlNtryInf", item.additional_info)))

    def balance(item):  # type: ignore[no-untyped-def]
        return E.Bal(E.Tp(E.CdOrPrtry(E.Cd(item.type_code))), amount(item.amount_minor, item.currency),
                     E.CdtDbtInd(item.credit_debit.value), *present(date_choice("Dt", item.balance_date)))

    def statement(item):  # type: ignore[no-untyped-def]
        head, account = item.header, item.header.account
        period = present(leaf("FrDtTm", head.from_datetime and head.from_datetime.isoformat()),
                         leaf("ToDtTm", head.to_datetime and head.to_datetime.isoformat()))
        acct_id = E.IBAN(account.iban) if account.iban else E.Othr(E.Id(account.other_id))
        bic = None if account.servicer_bic is None else E.Svcr(E.FinInstnId(
            getattr(E, "BICFI" if number >= 3 else "BIC")(account.servicer_bic)))
        return E.Stmt(*present(
            E.Id(head.statement_id), leaf("ElctrncSeqNb", head.electronic_sequence),
            leaf("LglSeqNb", head.legal_sequence), leaf("CreDtTm", head.created_at and head.created_at.isoformat()),
            E.FrToDt(*period) if period else None,
            E.Acct(*present(E.Id(acct_id), leaf("Ccy", account.currency), leaf("Nm", account.owner_name), bic)),
            *[balance(item) for item in head.balances], *[entry(item) for item in item.entries]))

    group_header = None if header.message_id is None else E.GrpHdr(
        E.MsgId(header.message_id), E.CreDtTm("2024-01-01T00:00:00+07:00"))
    document = E.Document(E.BkToCstmrStmt(*present(group_header, *[statement(item) for item in statements])))
    return _etree.tostring(document, xml_declaration=True, encoding="UTF-8")


vietqrs = _st.builds(
    _VietQR,
    acquirer_bin=_st.from_regex(r"9704[0-9]{2}", fullmatch=True),
    account_number=_st.from_regex(r"[0-9A-Za-z]{1,19}", fullmatch=True),
    service=_st.sampled_from(_Service),
    initiation=_st.sampled_from(_Initiation),
    amount_minor=_st.none() | _st.integers(min_value=1, max_value=9_999_999_999_999),
    purpose=_st.none() | _st.text(_st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=25),
)

# Values as VNPAY's parameters look: printable ASCII without the characters its
# reference encoders disagree on.
vnpay_values = _st.text(_st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="~*"),
                        min_size=1, max_size=40)
vnpay_params = _st.dictionaries(
    _st.from_regex(r"vnp_[A-Za-z]{1,12}", fullmatch=True).filter(lambda key: key not in ("vnp_SecureHash", "vnp_SecureHashType")),
    vnpay_values | _st.integers(min_value=0, max_value=10**14).map(str), min_size=1, max_size=12)

_momo_text = _st.text(_st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
momo_create_requests = _st.builds(
    _MomoCreate, partner_code=_momo_text, request_id=_momo_text, amount=_st.integers(1000, 50_000_000),
    order_id=_momo_text, order_info=_momo_text, redirect_url=_momo_text, ipn_url=_momo_text,
    request_type=_st.sampled_from(("captureWallet", "payWithATM", "payWithMethod")), extra_data=_momo_text)
momo_payment_results = _st.builds(
    _MomoResult, partner_code=_momo_text, order_id=_momo_text, request_id=_momo_text,
    amount=_st.integers(1000, 50_000_000), order_info=_momo_text, order_type=_st.just("momo_wallet"),
    trans_id=_st.integers(0, 2**53), result_code=_st.sampled_from((0, 9000, 1006, 1005)), message=_momo_text,
    pay_type=_st.sampled_from(("qr", "webApp", "app", "credit", "napas")),
    response_time=_st.integers(1_600_000_000_000, 2_000_000_000_000), extra_data=_momo_text)


# catalogue
# Fee rules, fee splits and the facts they price, for the catalogue's pure properties.
# Amounts are integers of minor units (đồng); percentages are Decimals as a data file
# writes them.

from catalogue import fees as _fees
from catalogue import model as _model
from catalogue.definitions import CatalogueFile as _CatalogueFile
from catalogue.definitions import Service as _Service

fee_amounts = _st.integers(min_value=0, max_value=10**12)
positive_fee_amounts = _st.integers(min_value=1, max_value=10**12)
fee_percents = _st.decimals(min_value=0, max_value=100, places=3)
fee_roundings = _st.sampled_from(_fees.Rounding)
agency_codes = _st.from_regex(r"[A-Z][A-Z0-9]{1,5}", fullmatch=True)
fixed_fees = _st.builds(_fees.FixedFee, amount_minor=fee_amounts)
option_fees = _st.builds(_fees.OptionFee, field=_st.just("option"),
                         amounts_minor=_st.dictionaries(_st.from_regex(r"[A-Z][0-9]?", fullmatch=True), fee_amounts,
                                                        min_size=1, max_size=6))


@_st.composite
def percentage_fees(draw) -> _fees.PercentageFee:  # type: ignore[no-untyped-def]
    minimum = draw(_st.integers(min_value=0, max_value=10**7))
    maximum = draw(_st.none() | _st.integers(min_value=minimum, max_value=10**10))
    return _fees.PercentageFee(field="value", rate_percent=draw(fee_percents), minimum_minor=minimum,
                               maximum_minor=maximum, rounding=draw(fee_roundings))


def _increasing_bounds(max_size: int):  # type: ignore[no-untyped-def]
    return _st.lists(_st.integers(min_value=0, max_value=10**9), unique=True, max_size=max_size).map(sorted)


@_st.composite
def bracket_fees(draw) -> _fees.BracketFee:  # type: ignore[no-untyped-def]
    bounds = [*draw(_increasing_bounds(5)), None]
    return _fees.BracketFee(field="value", brackets=[_fees.Bracket(up_to=b, amount_minor=draw(fee_amounts)) for b in bounds])


@_st.composite
def per_unit_fees(draw) -> _fees.PerUnitFee:  # type: ignore[no-untyped-def]
    bounds = [*draw(_increasing_bounds(4)), None]
    steps = [_fees.UnitStep(up_to_units=b, unit_amount_minor=draw(_st.integers(0, 10**6))) for b in bounds]
    return _fees.PerUnitFee(field="units", steps=steps, maximum_minor=draw(_st.none() | fee_amounts))


@_st.composite
def household_premium_fees(draw) -> _fees.HouseholdPremiumFee:  # type: ignore[no-untyped-def]
    return _fees.HouseholdPremiumFee(
        registry="bhxh", lookup_field="social_insurance_number", months_field="months",
        months_allowed=draw(_st.lists(_st.integers(1, 60), min_size=1, max_size=4, unique=True)),
        rate_percent=draw(fee_percents), member_percents=draw(_st.lists(fee_percents, min_size=1, max_size=6)))


@_st.composite
def outstanding_bills(draw, customer: str = "PE01000012345") -> list[_model.Bill]:  # type: ignore[no-untyped-def]
    """A customer's unpaid electricity bills, oldest first: one to twelve months, each its own."""
    months = draw(_st.lists(_st.integers(1, 12), min_size=1, max_size=12, unique=True))
    return [_model.Bill(biller="evn", reference=f"{customer}-2025{month:02d}", subject=customer,
                        description=f"Tiền điện kỳ {month:02d}/2025", amount_minor=draw(positive_fee_amounts),
                        currency="VND", status="unpaid")
            for month in sorted(months)]


@_st.composite
def violations(draw) -> _model.Violation:  # type: ignore[no-untyped-def]
    minimum = draw(positive_fee_amounts)
    return _model.Violation(code="ND1-D1-K1-A", description_vi="vi phạm", description_en="violation", minimum_minor=minimum,
                      maximum_minor=draw(_st.integers(minimum, minimum + 10**9)), legal_basis="test")


@_st.composite
def fee_splits(draw, parties=agency_codes) -> _fees.FeeSplit:  # type: ignore[no-untyped-def]
    """Splits among one to five of ``parties``, basis points adding up to at most 10,000;
    the remainder goes to one of them or to another party."""
    holders = draw(_st.lists(parties, min_size=1, max_size=5, unique=True))
    shares: list[_fees.Share] = []
    room = 10_000
    for party in holders:
        if draw(_st.booleans()):
            shares.append(_fees.FixedShare(party=party, amount_minor=draw(_st.integers(1, 10**6))))
        elif room:
            points = draw(_st.integers(1, room))
            room -= points
            shares.append(_fees.BasisPointsShare(party=party, basis_points=points))
        else:
            shares.append(_fees.FixedShare(party=party, amount_minor=1))
    return _fees.FeeSplit(shares=shares, remainder_to=draw(_st.sampled_from(holders) | parties))


@_st.composite
def full_basis_point_splits(draw) -> _fees.FeeSplit:  # type: ignore[no-untyped-def]
    """Splits whose basis points add up to exactly 10,000, the remainder to another party."""
    *holders, remainder_to = draw(_st.lists(agency_codes, min_size=2, max_size=6, unique=True))
    cuts = sorted(draw(_st.lists(_st.integers(1, 9_999), min_size=len(holders) - 1, max_size=len(holders) - 1, unique=True)))
    points = [high - low for low, high in zip([0, *cuts], [*cuts, 10_000])]
    shares = [_fees.BasisPointsShare(party=party, basis_points=p) for party, p in zip(holders, points, strict=True)]
    return _fees.FeeSplit(shares=shares, remainder_to=remainder_to)


# Names as the portal writes them: Vietnamese letters, digits and spaces (PostgreSQL text
# holds no NUL, so arbitrary text would test the database's limits, not ours).
catalogue_names = _st.text(_st.sampled_from("aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạếềểễệĐẤỨ 0123456789"),
                          min_size=1, max_size=30)


def _payer_field(name: str, kind: _model.FieldKind, **extra) -> _model.PayerField:  # type: ignore[no-untyped-def]
    return _model.PayerField(name=name, label_vi=name, label_en=name, kind=kind, **extra)


@_st.composite
def catalogue_services(draw, agencies: list[str]) -> _Service:  # type: ignore[no-untyped-def]
    """A service of one of ``agencies``, with the payer field its fee rule reads."""
    fee = draw(_st.one_of(fixed_fees, option_fees, bracket_fees(), per_unit_fees(), percentage_fees()))
    fields = []
    match fee:
        case _fees.OptionFee():
            fields = [_payer_field("option", _model.FieldKind.CHOICE, choices=sorted(fee.amounts_minor))]
        case _fees.BracketFee() | _fees.PercentageFee():
            fields = [_payer_field("value", _model.FieldKind.AMOUNT)]
        case _fees.PerUnitFee():
            fields = [_payer_field("units", _model.FieldKind.INTEGER, minimum=1)]
    split = draw(_st.none() | fee_splits(_st.sampled_from(agencies)))
    if isinstance(fee, _fees.FixedFee) and split is not None and split.fixed_minor > fee.amount_minor:
        split = None  # a definition refuses fixed shares larger than its fixed fee
    return _Service(
        code=draw(_st.from_regex(r"[A-Z]{2,4}-[A-Z0-9]{1,6}", fullmatch=True)), agency_code=draw(_st.sampled_from(agencies)),
        name_vi=draw(catalogue_names), name_en=draw(catalogue_names), online_level=draw(_st.sampled_from((3, 4))),
        fields=fields, fee=fee, split=split,
        providers=draw(_st.lists(_st.sampled_from(("vnpay", "momo", "vietqr", "card")), min_size=1, unique=True)),
        active=draw(_st.booleans()), legal_basis=draw(_st.none() | catalogue_names))


@_st.composite
def catalogue_files(draw) -> _CatalogueFile:  # type: ignore[no-untyped-def]
    """A small data file whose references all hold: parents and split parties among its agencies."""
    codes = draw(_st.lists(agency_codes, min_size=1, max_size=4, unique=True))
    agencies = [_model.Agency(
        code=code, kind=draw(_st.sampled_from(_model.AgencyKind)), name_vi=draw(catalogue_names),
        name_en=draw(catalogue_names), parent_code=draw(_st.none() | _st.sampled_from(codes[:i])) if i else None,
        treasury=_model.TreasuryAccount(treasury_code=draw(_st.from_regex(r"[0-9]{4}", fullmatch=True)),
                                        account_number=draw(_st.from_regex(r"[0-9]{4}(\.[0-9]{1,7}){0,2}", fullmatch=True))))
        for i, code in enumerate(codes)]
    services = draw(_st.lists(catalogue_services(codes), max_size=4, unique_by=lambda service: service.code))
    return _CatalogueFile(version=1, agencies=agencies, services=services)


# providers
# Settlement lines as each provider's file can carry them (times to the second, aware;
# any text in the references: the files are CSV and quote it), the sandbox bank's
# statement entries, and transfer descriptions around a VietQR reference.

from providers.model import SettlementLine as _SettlementLine
from providers.vietqr import references as _references
from providers.vietqr.settlement import StatementEntry as _StatementEntry

_file_text = _st.text(_st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30)
_seconds_moments = _moments.map(lambda moment: moment.replace(microsecond=0))


@_st.composite
def settlement_lines(draw, provider: str, currencies: tuple[str, ...] = ("VND",)) -> _SettlementLine:  # type: ignore[no-untyped-def]
    return _SettlementLine(
        provider=provider, attempt_ref=draw(_file_text), provider_ref=draw(_file_text),
        kind=draw(_st.sampled_from(("payment", "refund"))), amount_minor=draw(_st.integers(1, 10**13)),
        fee_minor=draw(_st.integers(0, 10**9)), currency=draw(_st.sampled_from(currencies)),
        transacted_at=draw(_seconds_moments), settlement_date=draw(_dates))


statement_entries = _st.builds(
    _StatementEntry, transaction_id=_file_text, booked_at=_seconds_moments,
    credit_debit=_st.sampled_from(("C", "D")), amount_minor=_st.integers(1, 10**13), currency=_st.just("VND"),
    description=_file_text | _st.builds(lambda r, t: f"{t} {r}", _st.builds(_references.new_reference, _st.just("DVC")), _file_text),
    customer_ref=_file_text)


@_st.composite
def any_case(draw, text: str) -> str:  # type: ignore[no-untyped-def]
    return "".join(c.lower() if draw(_st.booleans()) else c for c in text)


# Words a payer or an app adds: anything, glued to the reference or not.
description_noise = _st.text(_st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
# Plain words around a reference, none holding the prefix: nothing else to find.
description_words = _st.lists(_st.from_regex(r"[A-Za-z0-9.:/-]{1,12}", fullmatch=True).filter(
    lambda word: "DVC" not in word.upper()), max_size=6).map(" ".join)


# hosted pages
# What citizens type into the checkout's look-up boxes: plates and penalty decision numbers
# with the separators, spaces, case and unaccented letters people use, each beside the
# form the catalogue keeps.

def _typed(draw, compact: str, separators: str) -> str:  # type: ignore[no-untyped-def]
    typed = "".join(c + draw(_st.sampled_from(["", "", *separators])) for c in compact).strip()
    return "".join(c.lower() if draw(_st.booleans()) else c for c in typed)


@_st.composite
def typed_plates(draw) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """(as typed, as kept): ``30a-123.45`` → ``30A12345``."""
    compact = draw(_st.from_regex(r"[0-9]{2}[A-Z]{1,2}[0-9]?[0-9]{4,5}", fullmatch=True))
    return _typed(draw, compact, "-. "), compact


@_st.composite
def typed_decision_numbers(draw) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """(as typed, as kept): ``0012345 / qd-xpvphc`` → ``0012345/QĐ-XPVPHC``."""
    number = draw(_st.from_regex(r"[0-9]{1,12}", fullmatch=True))
    issuer = draw(_st.from_regex(r"[A-Z]{2,10}", fullmatch=True))
    qd = draw(_st.sampled_from(["QĐ", "QD", "qđ", "qd", "Qđ"]))
    spaces = [draw(_st.sampled_from(["", " "])) for _ in range(3)]
    case = draw(_st.sampled_from([str.upper, str.lower]))
    return f"{number}{spaces[0]}/{spaces[1]}{qd}{spaces[2]}-{case(issuer)}", f"{number}/QĐ-{issuer}"


# ---------------------------------------------------------------- checkout sessions
# An agency's request for a Checkout Session: line items as Stripe's client sends them.

from gateway.sessions import model as _sessions  # noqa: E402


@_st.composite
def session_line_items(draw, currencies: tuple[str, ...], max_unit_minor: int,  # type: ignore[no-untyped-def]
                       max_quantity: int) -> _sessions.LineItemParams:
    return _sessions.LineItemParams(
        price_data=_sessions.PriceData(
            currency=draw(_st.sampled_from(currencies)),
            unit_amount=draw(_st.integers(1, max_unit_minor)),
            product_data=_sessions.ProductData(name=draw(_st.text(min_size=1, max_size=40)))),
        quantity=draw(_st.integers(1, max_quantity)))


def session_requests(currencies: tuple[str, ...] = ("vnd",), max_unit_minor: int = 10_000_000,  # type: ignore[no-untyped-def]
                     max_quantity: int = 100):
    """Valid by default (a total well under the limit); widen the bounds to reach the refusals."""
    items = session_line_items(currencies, max_unit_minor, max_quantity)
    return _st.builds(_sessions.CheckoutSessionCreate, mode=_st.just("payment"),
                      line_items=_st.lists(items, min_size=1, max_size=6),
                      success_url=_st.just("https://agency.example/paid?cs={CHECKOUT_SESSION_ID}"))
