"""The ledger's rules, one at a time, against the real database."""

from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from ledger import store
from ledger.errors import AccountError, LinkedBatchRejected, TransferRejected
from ledger.model import MAX_AMOUNT_MINOR, AccountSpec, NormalSide, PostPending, Transfer, VoidPending


@pytest.fixture
async def books(conn):
    for spec in [
        AccountSpec(code="asset", currency="VND", normal_side=NormalSide.DEBIT),
        AccountSpec(code="payable", currency="VND", normal_side=NormalSide.CREDIT, debits_must_not_exceed_credits=True),
        AccountSpec(code="contra", currency="VND", normal_side=NormalSide.DEBIT, credits_must_not_exceed_debits=True),
        AccountSpec(code="dollars", currency="USD", normal_side=NormalSide.DEBIT),
    ]:
        await store.create_account(conn, spec)
    return conn


def t(id_, debit="asset", credit="payable", amount=100, **extra):
    return Transfer(id=id_, debit_account=debit, credit_account=credit, amount_minor=amount,
                    currency=extra.pop("currency", "VND"), kind=extra.pop("kind", "payment"), **extra)


async def refused(conn, request) -> str:
    with pytest.raises(TransferRejected) as caught:
        await store.post_transfer(conn, request)
    return caught.value.code


async def test_replaying_a_transfer_returns_the_original(books):
    first = await store.post_transfer(books, t("a", metadata={"dossier": "G01"}))
    again = await store.post_transfer(books, t("a", metadata={"dossier": "G01"}))
    assert (first.code, again.code, again.seq) == ("created", "exists", first.seq)
    assert (await store.get_balance(books, "payable")).credits_posted == 100


@pytest.mark.parametrize("changed, field", [
    (dict(amount=101), "amount"),
    (dict(debit="contra"), "debit_account"),
    (dict(kind="fee"), "kind"),
    (dict(external_ref="X"), "external_ref"),
    (dict(metadata={"k": "v"}), "metadata"),
    (dict(pending=True), "pending"),
])
async def test_the_same_id_with_another_body_names_the_field(books, changed, field):
    await store.post_transfer(books, t("a"))
    assert await refused(books, t("a", **changed)) == f"exists_with_different_{field}"


@pytest.mark.parametrize("request_, code", [
    (t("x", credit="asset"), "accounts_must_be_different"),
    (t("x", amount=0), "amount_must_be_positive"),
    (t("x", amount=MAX_AMOUNT_MINOR + 1), "amount_too_large"),
    (t("x", debit="missing"), "debit_account_not_found"),
    (t("x", credit="missing"), "credit_account_not_found"),
    (t("x", credit="dollars"), "accounts_must_have_the_same_currency"),
    (t("x", debit="payable", credit="asset"), "exceeds_credits"),
    (t("x", debit="asset", credit="contra"), "exceeds_debits"),
    (t("x", timeout_s=5), "timeout_only_on_pending"),
    (t(" "), "id_must_be_1_to_200_non_blank_characters"),
    (PostPending(id="x", pending_id="nothing"), "pending_transfer_not_found"),
])
async def test_each_refusal_names_its_rule_and_moves_nothing(books, request_, code):
    assert await refused(books, request_) == code
    assert await store.get_transfer(books, "x") is None
    assert (await store.get_balance(books, "asset")).debits_posted == 0


async def test_amounts_up_to_the_bigint_limit_and_overflow_refused(books):
    await store.post_transfer(books, t("big", amount=MAX_AMOUNT_MINOR))
    assert (await store.get_balance(books, "payable")).credits_posted == MAX_AMOUNT_MINOR
    # One transaction's transfers share a slot: the second would take it past a bigint.
    results = await store.post_transfers(books, [t("big-again", amount=MAX_AMOUNT_MINOR), t("more", amount=1)])
    assert [r.code for r in results] == ["created", "overflows_balance"]


async def test_a_linked_batch_is_all_or_nothing_and_names_the_culprit(books):
    with pytest.raises(LinkedBatchRejected) as caught:
        await store.post_transfers(books, [t("1"), t("2", debit="payable", credit="asset", amount=500)], linked=True)
    assert (caught.value.index, caught.value.code) == (1, "exceeds_credits")
    assert await store.get_transfer(books, "1") is None
    # Within one call, limits are judged on the batch's end state.
    results = await store.post_transfers(books, [t("1", amount=500), t("2", debit="payable", credit="asset", amount=500)],
                                         linked=True)
    assert [r.code for r in results] == ["created", "created"]
    replay = await store.post_transfers(books, [t("1", amount=500), t("2", debit="payable", credit="asset", amount=500)],
                                        linked=True)
    assert [r.code for r in replay] == ["exists", "exists"]
    with pytest.raises(LinkedBatchRejected) as caught:
        await store.post_transfers(books, [t("1", amount=500), t("3")], linked=True)
    assert (caught.value.index, caught.value.code) == (0, "exists")
    assert await store.get_transfer(books, "3") is None


async def test_a_refused_batch_leaves_the_callers_transaction_usable(books):
    async with books.transaction():
        await store.post_transfer(books, t("before"))
        with pytest.raises(LinkedBatchRejected) as caught:
            await store.post_transfers(books, [t("1"), t("2", credit="missing")], linked=True)
        assert caught.value.code == "credit_account_not_found"
        await store.post_transfer(books, t("after"))
    assert [await store.get_transfer(books, id_) is not None for id_ in ("before", "1", "after")] == [True, False, True]


async def in_one_unit(conn, *batches):
    """Each batch sent with send_linked_transfers in one transaction sent as a pipeline, the
    way gateway.payments.settling sends a payment's; the caller rolls back on a refusal."""
    try:
        async with conn.pipeline():
            await conn.execute("BEGIN")
            for batch in batches:
                await store.send_linked_transfers(conn, batch)
            await conn.execute("COMMIT")
    finally:
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            await conn.execute("ROLLBACK")


async def test_in_one_unit_a_refusal_aborts_the_callers_transaction_as_a_whole(books):
    # Without a savepoint the refusal leaves the transaction unusable: the caller rolls back.
    with pytest.raises(store.REFUSALS):
        await in_one_unit(books, [t("before")], [t("1"), t("2", credit="missing")])
    assert [await store.get_transfer(books, id_) for id_ in ("before", "1")] == [None, None]
    await in_one_unit(books, [t("1"), t("2")])
    assert [(await store.get_transfer(books, id_)).amount_minor for id_ in ("1", "2")] == [100, 100]
    assert (await store.get_balance(books, "payable")).credits_posted == 200


@pytest.mark.parametrize("batch", [["1"], ["2", "1"]])
async def test_in_one_unit_an_existing_id_is_refused_not_skipped(books, batch):
    """A replay is told from a conflict only by post_transfers, which the caller's second
    try uses: in one unit, any transfer that exists already refuses the whole."""
    await store.post_transfer(books, t("1"))
    with pytest.raises(psycopg.errors.UniqueViolation):
        await in_one_unit(books, [t("before")], [t(id_) for id_ in batch])
    assert [await store.get_transfer(books, id_) for id_ in ("before", "2")] == [None, None]
    assert (await store.get_balance(books, "payable")).credits_posted == 100


async def test_in_one_unit_a_replay_refused_is_answered_exists_by_the_second_try(books):
    await store.post_transfer(books, t("1"))
    with pytest.raises(psycopg.errors.UniqueViolation):
        await in_one_unit(books, [t("1")])
    assert [r.code for r in await store.post_transfers(books, [t("1")], linked=True)] == ["exists"]
    assert (await store.get_balance(books, "payable")).credits_posted == 100


@pytest.mark.parametrize("refused", ["unknown_account", "existing_id", "limit", "overflow", "resolved_twice"])
async def test_in_one_unit_every_kind_of_refusal_is_told_for_the_ledgers(books, refused):
    """settling redoes a unit only for the ledger's refusal; the rest it raises at once."""
    before, batch = {
        "unknown_account": ([], [t("1", credit="missing")]),
        "existing_id": ([t("1")], [t("1")]),
        "limit": ([], [t("1", debit="payable", credit="asset")]),
        "overflow": ([], [t("1", amount=MAX_AMOUNT_MINOR), t("2", amount=1)]),
        "resolved_twice": ([t("p", pending=True), PostPending(id="q", pending_id="p")],
                           [VoidPending(id="1", pending_id="p")]),
    }[refused]
    await store.post_transfers(books, before, linked=True)
    with pytest.raises(store.REFUSALS) as caught:
        await in_one_unit(books, batch)
    assert store.refused_by_ledger(caught.value)


async def test_another_schemas_integrity_error_is_not_the_ledgers(books):
    await books.execute("CREATE TEMP TABLE positive (n int NOT NULL UNIQUE CHECK (n > 0))")
    for statement in ["INSERT INTO positive VALUES (0)", "INSERT INTO positive VALUES (NULL)",
                      "INSERT INTO positive VALUES (1), (1)", "SELECT 9223372036854775807::bigint + 1"]:
        with pytest.raises(store.REFUSALS) as caught:
            await books.execute(statement)
        assert not store.refused_by_ledger(caught.value), statement


async def test_in_one_unit_a_rule_broken_in_python_is_refused_before_sending(books):
    with pytest.raises(LinkedBatchRejected) as caught:
        await in_one_unit(books, [t("1"), t("2", amount=0)])
    assert (caught.value.index, caught.value.code) == (1, "amount_must_be_positive")
    assert await store.get_transfer(books, "1") is None


async def test_independent_transfers_stand_or_fall_alone(books):
    results = await store.post_transfers(books, [
        t("1"), t("2", debit="missing"), t("3", amount=0), t("4", debit="payable", credit="asset", amount=10**6), t("5"),
    ])
    assert [r.code for r in results] == [
        "created", "debit_account_not_found", "amount_must_be_positive", "exceeds_credits", "created"]
    assert (await store.get_balance(books, "payable")).credits_posted == 200


async def test_pending_reserves_then_posts_partially_once(books):
    await store.post_transfer(books, t("in", amount=1000))
    await store.post_transfer(books, t("p", debit="payable", credit="asset", amount=800, pending=True))
    assert (await store.get_balance(books, "payable")).available == 200
    assert await refused(books, t("q", debit="payable", credit="asset", amount=300, pending=True)) == "exceeds_credits"
    assert await refused(books, PostPending(id="post", pending_id="p", amount_minor=801)) == "exceeds_pending_transfer_amount"
    await store.post_transfer(books, PostPending(id="post", pending_id="p", amount_minor=600))
    assert (await store.post_transfer(books, PostPending(id="post", pending_id="p", amount_minor=600))).code == "exists"
    assert await refused(books, PostPending(id="post", pending_id="p")) == "exists_with_different_amount"
    assert await refused(books, VoidPending(id="void", pending_id="p")) == "pending_transfer_already_posted"
    assert await refused(books, PostPending(id="post2", pending_id="p")) == "pending_transfer_already_posted"
    assert await refused(books, PostPending(id="x", pending_id="in")) == "pending_transfer_not_pending"
    balance = await store.get_balance(books, "payable")
    assert (balance.debits_posted, balance.debits_pending, balance.available) == (600, 0, 400)


async def test_void_releases_and_timeouts_void_themselves(books):
    await store.post_transfer(books, t("in", amount=1000))
    await store.post_transfer(books, t("p1", debit="payable", credit="asset", amount=400, pending=True))
    await store.post_transfer(books, t("p2", debit="payable", credit="asset", amount=400, pending=True, timeout_s=60))
    await store.post_transfer(books, VoidPending(id="v1", pending_id="p1"))
    assert await store.expire_pending_transfers(books) == []  # not yet due
    later = datetime.now(timezone.utc) + timedelta(seconds=61)
    assert await store.expire_pending_transfers(books, later) == ["p2"]
    assert await store.expire_pending_transfers(books, later) == []
    assert await refused(books, PostPending(id="late", pending_id="p2")) == "pending_transfer_expired"
    assert (await store.get_balance(books, "payable")).available == 1000


async def test_closed_accounts_take_no_transfer(books):
    await store.set_account_closed(books, "asset")
    assert await refused(books, t("1")) == "account_closed"
    await store.set_account_closed(books, "asset", closed=False)
    assert (await store.post_transfer(books, t("1"))).code == "created"


async def test_accounts_are_idempotent_and_checked(books):
    again = await store.create_account(books, AccountSpec(code="asset", currency="VND", normal_side=NormalSide.DEBIT))
    assert again.code == "asset"
    with pytest.raises(AccountError) as caught:
        await store.create_account(books, AccountSpec(code="asset", currency="USD", normal_side=NormalSide.DEBIT))
    assert caught.value.code == "exists_with_different_currency"
    with pytest.raises(AccountError) as caught:
        await store.create_account(books, AccountSpec(code="x", currency="XXX", normal_side=NormalSide.DEBIT))
    assert caught.value.code == "unknown_currency"


@pytest.mark.parametrize("statement", [
    "UPDATE ledger.transfers SET amount = 1",
    "DELETE FROM ledger.transfers",
    "TRUNCATE ledger.transfers CASCADE",
    "UPDATE ledger.balance_slots SET credits_posted = credits_posted + 1",
    "DELETE FROM ledger.balance_slots",
    "UPDATE ledger.accounts SET currency = 'USD'",
    "INSERT INTO ledger.transfers (id, phase, debit_account_id, credit_account_id, amount, currency, kind)"
    " SELECT 'sql', 'posted', p.id, a.id, 500, 'VND', 'x' FROM ledger.accounts p, ledger.accounts a"
    " WHERE p.code = 'payable' AND a.code = 'asset'",
    "INSERT INTO ledger.transfers (id, phase, debit_account_id, credit_account_id, amount, currency, kind, pending_id)"
    " SELECT 'sql', 'void_pending', p.id, a.id, 5, 'VND', 'x', 'no-such-pending' FROM ledger.accounts p, ledger.accounts a"
    " WHERE p.code = 'payable' AND a.code = 'asset'",
])
async def test_postgresql_itself_refuses_to_break_the_books(books, statement):
    await store.post_transfer(books, t("a"))
    with pytest.raises(psycopg.Error):
        await books.execute(statement)
    assert await store.verify_ledger(books) == []


async def test_balance_at_a_past_moment_and_paged_statement(books):
    for i in range(5):
        await store.post_transfer(books, t(f"in{i}", amount=100 * (i + 1)))
    middle = (await store.get_transfer(books, "in2")).created_at
    await store.post_transfer(books, t("p", debit="payable", credit="asset", amount=50, pending=True))
    past = await store.get_balance_at(books, "payable", middle)
    assert (past.posted, past.debits_pending) == (600, 0)
    now = await store.get_balance_at(books, "payable", datetime.now(timezone.utc))
    assert now == await store.get_balance(books, "payable")
    first = await store.get_statement(books, "payable", limit=3)
    second = await store.get_statement(books, "payable", after_seq=first.next_after_seq, limit=3)
    assert [line.balance_minor for line in first.lines + second.lines] == [100, 300, 600, 1000, 1500]
    assert second.opening_balance_minor == 600 and second.next_after_seq is None
