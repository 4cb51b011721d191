"""A road-traffic fine, told as an accounting textbook would tell it.

A citizen pays a 2,000,000 VND fine to the Ministry of Public Security (BCA) through VNPAY.
The fine is split: 70 % to the central budget, 30 % to the provincial budget. VNPAY settles
the next day net of its 0.8 % fee (16,000 VND), the money is remitted to the State Treasury,
and later 500,000 VND is refunded because the decision was partly annulled.
"""

from ledger import store
from ledger.model import AccountSpec, NormalSide, PostPending, Transfer

DEBIT, CREDIT = NormalSide.DEBIT, NormalSide.CREDIT

CHART = [
    AccountSpec(code="provider:vnpay:clearing", currency="VND", normal_side=DEBIT),
    AccountSpec(code="bank:vcb:settlement", currency="VND", normal_side=DEBIT),
    AccountSpec(code="fees:provider:vnpay", currency="VND", normal_side=DEBIT),
    AccountSpec(code="agency:BCA:payable", currency="VND", normal_side=CREDIT, debits_must_not_exceed_credits=True),
    AccountSpec(code="agency:HNI:payable", currency="VND", normal_side=CREDIT, debits_must_not_exceed_credits=True),
    AccountSpec(code="treasury:BCA", currency="VND", normal_side=CREDIT),
    AccountSpec(code="treasury:HNI", currency="VND", normal_side=CREDIT),
]


def vnd(debit: str, credit: str, amount: int, id_: str, kind: str, **extra) -> Transfer:
    return Transfer(id=id_, debit_account=debit, credit_account=credit, amount_minor=amount,
                    currency="VND", kind=kind, **extra)


async def posted(conn, code: str) -> int:
    return (await store.get_balance(conn, code)).posted


async def test_a_fine_paid_split_settled_remitted_and_partly_refunded(conn):
    for spec in CHART:
        await store.create_account(conn, spec)

    # 1. The callback is confirmed: the provider owes us the fine, the budgets are owed their shares.
    await store.post_transfers(conn, [
        vnd("provider:vnpay:clearing", "agency:BCA:payable", 1_400_000, "pi_1/central", "payment", external_ref="VNP1"),
        vnd("provider:vnpay:clearing", "agency:HNI:payable", 600_000, "pi_1/province", "payment", external_ref="VNP1"),
    ], linked=True)
    assert await posted(conn, "provider:vnpay:clearing") == 2_000_000
    assert await posted(conn, "agency:BCA:payable") == 1_400_000
    assert await posted(conn, "agency:HNI:payable") == 600_000

    # 2. The settlement file matches: the bank received the net, the fee is an expense.
    await store.post_transfers(conn, [
        vnd("bank:vcb:settlement", "provider:vnpay:clearing", 1_984_000, "stl_1/net", "settlement"),
        vnd("fees:provider:vnpay", "provider:vnpay:clearing", 16_000, "stl_1/fee", "provider_fee"),
    ], linked=True)
    assert await posted(conn, "provider:vnpay:clearing") == 0
    assert await posted(conn, "bank:vcb:settlement") == 1_984_000
    assert await posted(conn, "fees:provider:vnpay") == 16_000

    # 3. The refund reserves the agency's money first, and posts when VNPAY confirms it.
    await store.post_transfer(conn, vnd("agency:BCA:payable", "provider:vnpay:clearing", 500_000, "re_1",
                                        "refund", pending=True, timeout_s=3 * 86_400))
    bca = await store.get_balance(conn, "agency:BCA:payable")
    assert (bca.posted, bca.available) == (1_400_000, 900_000)
    await store.post_transfer(conn, PostPending(id="re_1/confirmed", pending_id="re_1"))
    assert await posted(conn, "agency:BCA:payable") == 900_000
    assert await posted(conn, "provider:vnpay:clearing") == -500_000  # VNPAY will net it off the next settlement

    # 4. Remittance: what each agency is still owed goes to its treasury account, and no more can.
    await store.post_transfers(conn, [
        vnd("agency:BCA:payable", "treasury:BCA", 900_000, "rem_1/BCA", "remittance"),
        vnd("agency:HNI:payable", "treasury:HNI", 600_000, "rem_1/HNI", "remittance"),
    ], linked=True)
    assert [await posted(conn, code) for code in ("agency:BCA:payable", "agency:HNI:payable")] == [0, 0]
    assert [await posted(conn, code) for code in ("treasury:BCA", "treasury:HNI")] == [900_000, 600_000]

    # The books balance: assets (bank + fees + clearing) equal what is owed (treasuries).
    assets = sum([await posted(conn, c) for c in ("bank:vcb:settlement", "fees:provider:vnpay", "provider:vnpay:clearing")])
    assert assets == 1_984_000 + 16_000 - 500_000 == 900_000 + 600_000
    assert await store.verify_ledger(conn) == []

    statement = await store.get_statement(conn, "agency:BCA:payable")
    assert [(line.kind, line.debit_minor, line.credit_minor, line.balance_minor) for line in statement.lines] == [
        ("payment", 0, 1_400_000, 1_400_000),
        ("refund", 500_000, 0, 900_000),
        ("remittance", 900_000, 0, 0),
    ]
