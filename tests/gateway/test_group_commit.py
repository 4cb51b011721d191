"""Concurrent provider words of one process are settled in one transaction (group commit):
each exactly once, as one by one would settle them, and a batch the ledger refuses in part
is settled word by word instead. Words sent at once through one pool's batches go as one
batch: the first starts it, and the rest are queued before it runs."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from catalogue.model import payable_account
from gateway.errors import ResourceMissing
from gateway.group_commit import Batches
from gateway.payments import group_commit
from gateway.payments.attempt_store import Received
from gateway.payments.group_commit import AnsweredBefore, callback_settling
from gateway.payments.model import AttemptStatus, Status
from gateway.payments.outcomes import Answer, Result
from gateway.payments.settling import Word
from ledger.model import AccountSpec, NormalSide
from ledger.store import create_account
from providers.model import PaymentState
from tests.gateway.payment_flows import RETURN_URL, create, ledger_payments
from tests.gateway.test_callbacks import awaiting_vnpay, book_beforehand


def paid(provider_ref: str) -> Result:
    return Result(state=PaymentState.SUCCEEDED, provider_ref=provider_ref, amount_minor=150_000, currency="VND")


async def settle_at_once(database_url: str, words: list[Word]) -> list:
    """Each word's verdict, or the exception it got."""
    async with AsyncConnectionPool(database_url, kwargs={"autocommit": True}, open=False) as pool:
        settle = callback_settling(pool).settle
        return await asyncio.gather(*(settle(word) for word in words), return_exceptions=True)


async def open_payable_account(database_url: str, agency: str) -> None:
    """As the catalogue does for its agencies: without it, an agency's first payment opens it
    (settled on its own, see test_callbacks)."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await create_account(conn, AccountSpec(code=payable_account(agency, livemode=False), currency="VND",
                                               normal_side=NormalSide.CREDIT))


def transactions_of(database_url: str, attempt_refs: list[str]) -> set[str]:
    """The transactions that last wrote these attempts."""
    with psycopg.connect(database_url) as conn:
        return {xmin for (xmin,) in conn.execute(
            "SELECT xmin::text FROM gateway.payment_attempts WHERE attempt_ref = ANY(%s)", (attempt_refs,))}


def test_words_sent_at_once_are_settled_once_each_in_one_transaction(client, agency, api_database_url):
    asyncio.run(open_payable_account(api_database_url, agency))
    intents, attempts = zip(*(awaiting_vnpay(client) for _ in range(6)), strict=True)
    words = [Word(ref, paid(f"1400{n}"), provider="vnpay") for n, ref in enumerate(attempts)]
    words.append(Word("PAnosuchattempt0000000000", paid("14009"), provider="vnpay"))
    verdicts = asyncio.run(settle_at_once(api_database_url, words))
    assert [v.answer for v in verdicts[:-1]] == [Answer.ACCEPTED] * 6
    assert isinstance(verdicts[-1], ResourceMissing)  # its own answer, which fails nobody else
    assert all(len(ledger_payments(api_database_url, ref)) == 1 for ref in attempts)
    assert len(transactions_of(api_database_url, list(attempts))) == 1
    assert {client.v1.payment_intents.retrieve(i).status for i in intents} == {Status.SUCCEEDED}
    succeeded = client.v1.events.list(params={"type": "payment_intent.succeeded"}).data
    assert sorted(event.data.object.id for event in succeeded) == sorted(intents)


def test_a_batch_the_ledger_refuses_in_part_is_settled_word_by_word(client, agency, api_database_url):
    # The middle payment is in the ledger already (as after a repair by hand): the batch's one
    # insert is refused and the whole batch rolled back; each word is then settled on its
    # own, that one without booking it again.
    asyncio.run(open_payable_account(api_database_url, agency))
    attempts = [awaiting_vnpay(client)[1] for _ in range(3)]
    asyncio.run(book_beforehand(api_database_url, attempts[1]))
    verdicts = asyncio.run(settle_at_once(api_database_url, [Word(ref, paid(ref), provider="vnpay") for ref in attempts]))
    assert [(v.answer, v.attempt.status) for v in verdicts] == [(Answer.ACCEPTED, AttemptStatus.SUCCEEDED)] * 3
    assert all(len(ledger_payments(api_database_url, ref)) == 1 for ref in attempts)
    assert len(transactions_of(api_database_url, [attempts[0], attempts[2]])) == 2


def test_two_attempts_of_one_intent_in_a_batch_see_each_others_change(client, agency, api_database_url):
    # The payer left VNPAY's page for MoMo's; VNPAY's success and MoMo's failure come at once.
    # MoMo's attempt is the intent's latest, but the success before it in the batch has paid
    # the intent, which its failure must not reopen.
    asyncio.run(open_payable_account(api_database_url, agency))
    intent = create(client, payment_method_types=["vnpay", "momo"])
    on_vnpay = client.v1.payment_intents.confirm(intent.id, params={
        "return_url": RETURN_URL, "payment_method_types": ["vnpay"]}).latest_attempt
    on_momo = client.v1.payment_intents.confirm(intent.id, params={
        "return_url": RETURN_URL, "payment_method_types": ["momo"]}).latest_attempt
    declined = Result(state=PaymentState.FAILED, provider_ref="m-1", amount_minor=150_000, currency="VND",
                      failure_code="payer_declined")
    verdicts = asyncio.run(settle_at_once(api_database_url, [Word(on_vnpay, paid("v-1"), provider="vnpay"),
                                                             Word(on_momo, declined, provider="momo")]))
    assert [v.attempt.status for v in verdicts] == [AttemptStatus.SUCCEEDED, AttemptStatus.FAILED]
    assert len(transactions_of(api_database_url, [on_vnpay, on_momo])) == 1
    assert client.v1.payment_intents.retrieve(intent.id).status == Status.SUCCEEDED
    assert client.v1.events.list(params={"type": "payment_intent.payment_failed"}).data == []
    assert len(ledger_payments(api_database_url, on_vnpay)) == 1


def test_two_words_about_one_attempt_are_never_in_one_batch(client, api_database_url):
    _, attempt = awaiting_vnpay(client)
    verdicts = asyncio.run(settle_at_once(api_database_url, [Word(attempt, paid("14001"), provider="vnpay")] * 3))
    assert [v.answer for v in verdicts] == [Answer.ACCEPTED] + [Answer.ALREADY_CONFIRMED] * 2
    assert len(ledger_payments(api_database_url, attempt)) == 1


@pytest.mark.parametrize("copies", [1, 5])
def test_a_batch_that_gets_no_connection_fails_each_call_with_the_reason(copies):
    async def run_batch(conn, calls: list[int]) -> list[int]:
        raise AssertionError("never run without a connection")

    async def at_once() -> list:
        pool = AsyncConnectionPool("host=/nonexistent dbname=none", open=False, timeout=0.5, min_size=0, max_size=1)
        await pool.open()
        try:
            batches = Batches(pool, run_batch, key=lambda n: n)
            return await asyncio.gather(*(batches(n) for n in range(copies)), return_exceptions=True)
        finally:
            await pool.close()

    failures = asyncio.run(at_once())
    assert len(failures) == copies and all(type(f).__name__ == "PoolTimeout" for f in failures)


def test_a_caller_cancelled_while_it_waits_does_not_take_its_word_back(client, agency, api_database_url):
    # A verified word is applied once it came: the provider's copy sent after the cancelled
    # one (a batch of its own, after the first's) finds the payment already confirmed.
    asyncio.run(open_payable_account(api_database_url, agency))
    _, attempt = awaiting_vnpay(client)
    word = Word(attempt, paid("14001"), provider="vnpay")

    async def cancel_then_send_again() -> Answer:
        async with AsyncConnectionPool(api_database_url, kwargs={"autocommit": True}, open=False) as pool:
            settle = callback_settling(pool).settle
            cancelled = asyncio.ensure_future(settle(word))
            again = asyncio.ensure_future(settle(word))
            await asyncio.sleep(0)  # both queued, the first's batch started
            cancelled.cancel()
            return (await again).answer

    assert asyncio.run(cancel_then_send_again()) == Answer.ALREADY_CONFIRMED
    assert len(ledger_payments(api_database_url, attempt)) == 1


def test_a_copy_is_answered_as_its_first_copy_was_from_memory_or_from_the_database(client, agency, api_database_url):
    asyncio.run(open_payable_account(api_database_url, agency))
    _, attempt = awaiting_vnpay(client)

    def word() -> Word:
        return Word(attempt, paid("14001"), provider="vnpay", received=Received("vnpay", "ipn-1", "succeeded"))

    async def first_then_copies() -> tuple:
        async with AsyncConnectionPool(api_database_url, kwargs={"autocommit": True}, open=False) as pool, \
                AsyncConnectionPool(api_database_url, kwargs={"autocommit": True}, open=False) as other_process:
            here, there = callback_settling(pool), callback_settling(other_process)
            first = word()
            verdict = await here.settle(first)
            # Here the copy needs neither a batch nor the database; there, it is read once.
            return (verdict.answer, first.received.first_copy, here.answer_given("vnpay", "ipn-1"),
                    there.answer_given("vnpay", "ipn-1"), await there.settle(word()), there.answer_given("vnpay", "ipn-1"))

    assert asyncio.run(first_then_copies()) == (Answer.ACCEPTED, True, "accepted", None, AnsweredBefore("accepted"),
                                                 "accepted")
    assert len(ledger_payments(api_database_url, attempt)) == 1


def test_the_answers_remembered_are_the_latest_ones(monkeypatch):
    monkeypatch.setattr(group_commit, "ANSWERS_KEPT", 2)
    settling = group_commit.CallbackSettling(AsyncConnectionPool("", open=False))
    for number in range(3):
        settling._remember(("vnpay", f"ipn-{number}"), "accepted")
    settling.answer_given("vnpay", "ipn-1")  # read: kept longest now
    settling._remember(("vnpay", "ipn-3"), "accepted")
    assert [settling.answer_given("vnpay", f"ipn-{n}") for n in range(4)] == [None, "accepted", None, "accepted"]
