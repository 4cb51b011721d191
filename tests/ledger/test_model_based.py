"""Random accounts, transfers, batches and pending transfers, run against the real database
and against a plain in-memory model; after every step the two must agree and every
invariant must hold."""

from __future__ import annotations

import asyncio
import copy
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from ledger import store
from ledger.errors import LinkedBatchRejected, TransferRejected
from ledger.model import AccountSpec, NormalSide, PostPending, Transfer, VoidPending


@dataclass
class ModelAccount:
    currency: str
    limit: str | None  # "debits" (debits must not exceed credits), "credits", or None
    dp: int = 0
    cp: int = 0
    dq: int = 0
    cq: int = 0

    def within_limit(self) -> bool:
        if self.limit == "debits":
            return self.dp + self.dq <= self.cp
        if self.limit == "credits":
            return self.cp + self.cq <= self.dp
        return True


@dataclass
class Model:
    accounts: dict[str, ModelAccount] = field(default_factory=dict)
    transfers: dict[str, object] = field(default_factory=dict)
    open_pending: dict[str, Transfer] = field(default_factory=dict)
    resolved: set[str] = field(default_factory=set)

    def static_rule(self, request) -> str | None:
        """What refuses ``request`` regardless of balances, or None."""
        if request.id in self.transfers:
            return "exists" if self.transfers[request.id] == request else "exists_with_different"
        match request:
            case Transfer():
                if request.debit_account not in self.accounts:
                    return "debit_account_not_found"
                if request.credit_account not in self.accounts:
                    return "credit_account_not_found"
                if {self.accounts[request.debit_account].currency, self.accounts[request.credit_account].currency} != {request.currency}:
                    return "accounts_must_have_the_same_currency"
            case PostPending() | VoidPending():
                if request.pending_id in self.resolved:
                    return "pending_transfer_already_resolved"
                if request.pending_id not in self.open_pending:
                    return "pending_transfer_not_found"
                pending = self.open_pending[request.pending_id]
                if isinstance(request, PostPending) and (request.amount_minor or 0) > pending.amount_minor:
                    return "exceeds_pending_transfer_amount"
        return None

    def apply(self, request) -> None:
        match request:
            case Transfer(pending=False):
                self.accounts[request.debit_account].dp += request.amount_minor
                self.accounts[request.credit_account].cp += request.amount_minor
            case Transfer(pending=True):
                self.accounts[request.debit_account].dq += request.amount_minor
                self.accounts[request.credit_account].cq += request.amount_minor
                self.open_pending[request.id] = request
            case PostPending() | VoidPending():
                pending = self.open_pending.pop(request.pending_id)
                self.resolved.add(request.pending_id)
                debit, credit = self.accounts[pending.debit_account], self.accounts[pending.credit_account]
                debit.dq -= pending.amount_minor
                credit.cq -= pending.amount_minor
                if isinstance(request, PostPending):
                    debit.dp += request.amount_minor or pending.amount_minor
                    credit.cp += request.amount_minor or pending.amount_minor
        self.transfers[request.id] = request

    def expire(self, pending_id: str) -> None:
        # Like a void, but the ledger's own doing: nobody can replay it as a request.
        expiry = VoidPending(id=f"{pending_id}/expired", pending_id=pending_id)
        self.apply(expiry)
        del self.transfers[expiry.id]

    def try_all(self, requests) -> Model | None:
        """The model after all of ``requests`` as one call, or None if one is refused."""
        after = copy.deepcopy(self)
        for request in requests:
            if after.static_rule(request):
                return None
            after.apply(request)
        return after if all(a.within_limit() for a in after.accounts.values()) else None

    def try_one(self, request) -> str:
        after = self.try_all([request])
        if after is None:
            return self.static_rule(request) or "exceeds_limit"
        self.__dict__.update(after.__dict__)
        return "created"


CURRENCIES = ("VND", "USD")
amounts = st.integers(min_value=1, max_value=5_000)


class LedgerMachine(RuleBasedStateMachine):
    accounts = Bundle("accounts")
    pendings = Bundle("pendings")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.conn = self.run(psycopg.AsyncConnection.connect(DATABASE_URL[0], autocommit=True))
        self.prefix = uuid.uuid4().hex[:8]
        self.model = Model()
        self.counter = 0

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        self.run(self.conn.close())
        self.loop.close()

    def new_id(self) -> str:
        self.counter += 1
        return f"{self.prefix}-{self.counter}"

    @initialize(target=accounts)
    def first_account(self):
        return self.add_account("VND", None)

    @rule(target=accounts, currency=st.sampled_from(CURRENCIES), limit=st.sampled_from([None, "debits", "credits"]))
    def create_account(self, currency, limit):
        return self.add_account(currency, limit)

    def add_account(self, currency, limit):
        code = f"{self.prefix}:acct{len(self.model.accounts)}"
        self.run(store.create_account(self.conn, AccountSpec(
            code=code, currency=currency, normal_side=NormalSide.DEBIT, slot_count=4,
            debits_must_not_exceed_credits=limit == "debits", credits_must_not_exceed_debits=limit == "credits")))
        self.model.accounts[code] = ModelAccount(currency, limit)
        return code

    def transfer(self, debit, credit, amount, pending=False, currency=None) -> Transfer:
        return Transfer(id=self.new_id(), debit_account=debit, credit_account=credit, amount_minor=amount,
                        currency=currency or self.model.accounts[debit].currency, kind="test", pending=pending,
                        timeout_s=3600 if pending else None)

    def post(self, request) -> str:
        try:
            return self.run(store.post_transfer(self.conn, request)).code
        except TransferRejected as exc:
            return exc.code

    @rule(target=pendings, debit=accounts, credit=accounts, amount=amounts, pending=st.booleans())
    def single(self, debit, credit, amount, pending):
        if debit == credit:
            return None
        request = self.transfer(debit, credit, amount, pending)
        expected = self.model.try_one(request)
        actual = self.post(request)
        assert (actual == "created") == (expected == "created"), (actual, expected)
        if expected not in ("created", "exceeds_limit"):
            assert actual == expected
        return request.id if pending and actual == "created" else None

    @rule(pending=pendings, amount=st.none() | amounts, void=st.booleans())
    def resolve(self, pending, amount, void):
        if pending is None:
            return
        request = VoidPending(id=self.new_id(), pending_id=pending) if void else \
            PostPending(id=self.new_id(), pending_id=pending, amount_minor=amount)
        expected = self.model.try_one(request)
        actual = self.post(request)
        assert (actual == "created") == (expected == "created"), (actual, expected)
        if expected == "pending_transfer_already_resolved":
            assert actual.startswith("pending_transfer_already_") or actual == "pending_transfer_expired"

    @rule(data=st.data(), linked=st.booleans(), size=st.integers(2, 5))
    def batch(self, data, linked, size):
        codes = sorted(self.model.accounts)
        requests = []
        for _ in range(size):
            debit, credit = data.draw(st.lists(st.sampled_from(codes), min_size=2, max_size=2, unique=True)) \
                if len(codes) > 1 else (codes[0], codes[0] + "-missing")
            requests.append(self.transfer(debit, credit, data.draw(amounts), currency=data.draw(st.sampled_from(CURRENCIES))))
        if linked:
            after = self.model.try_all(requests)
            try:
                results = self.run(store.post_transfers(self.conn, requests, linked=True))
                assert after is not None and all(r.code == "created" for r in results)
                self.model = after
            except LinkedBatchRejected:
                assert after is None
            return
        results = self.run(store.post_transfers(self.conn, requests))
        after = self.model.try_all(requests)
        if after is not None:  # limits are judged on the whole call's end state
            self.model = after
            assert all(r.code == "created" for r in results)
            return
        for request, result in zip(requests, results):  # otherwise one by one, in order
            assert (result.code == "created") == (self.model.try_one(request) == "created")

    @rule(data=st.data())
    def replay(self, data):
        if not self.model.transfers:
            return
        request = self.model.transfers[data.draw(st.sampled_from(sorted(self.model.transfers)))]
        assert self.post(request) == "exists"

    @rule()
    def expire_everything_due(self):
        later = datetime.now(timezone.utc) + timedelta(hours=2)
        expired = self.run(store.expire_pending_transfers(self.conn, later))
        mine = sorted(p for p in expired if p.startswith(self.prefix))
        assert mine == sorted(self.model.open_pending)
        for pending_id in mine:
            self.model.expire(pending_id)

    @invariant()
    def balances_match_the_model_and_the_books_balance(self):
        listed = self.run(store.list_balances(self.conn, [*self.model.accounts, "no:such:account"]))
        assert set(listed) == set(self.model.accounts)
        for code, expected in self.model.accounts.items():
            actual = self.run(store.get_balance(self.conn, code))
            assert (actual.debits_posted, actual.credits_posted, actual.debits_pending, actual.credits_pending) == (
                expected.dp, expected.cp, expected.dq, expected.cq), code
            assert listed[code] == actual
        assert self.run(store.verify_ledger(self.conn)) == []


DATABASE_URL: list[str] = []


@pytest.fixture
def machine_database(database_url):
    DATABASE_URL[:] = [database_url]
    yield
    DATABASE_URL.clear()


def test_the_ledger_agrees_with_its_model(machine_database):
    run_state_machine_as_test(LedgerMachine, settings=settings(
        max_examples=40, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
