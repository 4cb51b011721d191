from ledger.model import AccountSpec, Transfer, PostPending, VoidPending
from ledger import store
import pytest
from ledger.errors import TransferRejected, LinkedBatchRejected

async def test_basic(conn):
    a = await store.create_account(conn, AccountSpec(code="provider:vnpay:clearing", currency="VND", normal_side="debit"))
    b = await store.create_account(conn, AccountSpec(code="agency:BCA:payable", currency="VND", normal_side="credit", debits_must_not_exceed_credits=True))
    r = await store.post_transfer(conn, Transfer(id="t1", debit_account=a.code, credit_account=b.code, amount_minor=200000, currency="VND", kind="payment"))
    assert r.code == "created"
    r2 = await store.post_transfer(conn, Transfer(id="t1", debit_account=a.code, credit_account=b.code, amount_minor=200000, currency="VND", kind="payment"))
    assert r2.code == "exists" and r2.seq == r.seq
    with pytest.raises(TransferRejected) as e:
        await store.post_transfer(conn, Transfer(id="t1", debit_account=a.code, credit_account=b.code, amount_minor=2, currency="VND", kind="payment"))
    assert e.value.code == "exists_with_different_amount"
    with pytest.raises(TransferRejected) as e:
        await store.post_transfer(conn, Transfer(id="t2", debit_account=b.code, credit_account=a.code, amount_minor=200001, currency="VND", kind="refund"))
    assert e.value.code == "exceeds_credits"
    p = await store.post_transfer(conn, Transfer(id="p1", debit_account=b.code, credit_account=a.code, amount_minor=50000, currency="VND", kind="refund", pending=True))
    bal = await store.get_balance(conn, b.code)
    assert bal.debits_pending == 50000 and bal.available == 150000
    await store.post_transfer(conn, PostPending(id="p1/post", pending_id="p1", amount_minor=30000))
    with pytest.raises(TransferRejected) as e:
        await store.post_transfer(conn, VoidPending(id="p1/void", pending_id="p1"))
    assert e.value.code == "pending_transfer_already_posted"
    bal = await store.get_balance(conn, b.code)
    assert (bal.debits_posted, bal.credits_posted, bal.debits_pending) == (30000, 200000, 0)
    res = await store.post_transfers(conn, [
        Transfer(id="b1", debit_account=a.code, credit_account=b.code, amount_minor=5, currency="VND", kind="x"),
        Transfer(id="b2", debit_account="nope", credit_account=b.code, amount_minor=5, currency="VND", kind="x"),
    ])
    assert [r.code for r in res] == ["created", "debit_account_not_found"], res
    with pytest.raises(LinkedBatchRejected) as e:
        await store.post_transfers(conn, [
            Transfer(id="l1", debit_account=a.code, credit_account=b.code, amount_minor=5, currency="VND", kind="x"),
            Transfer(id="l2", debit_account=b.code, credit_account=a.code, amount_minor=10**9, currency="VND", kind="x"),
        ], linked=True)
    assert e.value.index == 1 and e.value.code == "exceeds_credits"
    assert await store.get_transfer(conn, "l1") is None
    page = await store.get_statement(conn, b.code)
    assert [l.balance_minor for l in page.lines] == [200000, 170000, 170005]
    assert await store.verify_ledger(conn) == []
