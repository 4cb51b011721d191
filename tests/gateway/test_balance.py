"""GET /v1/balance through the real server and Stripe's client: what was collected for the
calling agency and not yet settled (pending), what reconciliation settled and has not yet
remitted to the treasury (available), per agency and per mode."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import stripe

from gateway.keys.model import Mode
from gateway.refunds.model import provider_refund_ref
from providers.model import SettlementLine
from reconciliation.engine import run_reconciliation
from reconciliation.recovery import Recovery
from reconciliation.runs import ProviderSetup, RunStatus
from reconciliation.settlement_csv import write_settlement_csv

STRIPE_FIXTURES = Path("/work/shared/data/stripe/fixtures3.json")
STATEMENT_TEMPLATE = Path(__file__).parents[1] / "data" / "reconciliation" / "clean_day_statement.xml"
CARD = ProviderSetup(provider="card", bank="vcb")


def figures(client: stripe.StripeClient) -> tuple[int, int]:
    """(pending, available) in đồng, checking the shape of each list on the way."""
    balance = client.v1.balance.retrieve()
    assert [(b.currency, b.source_types) for b in balance.pending + balance.available] == [("vnd", None)] * 2
    return balance.pending[0].amount, balance.available[0].amount


def pay(client: stripe.StripeClient, amount: int, **params) -> stripe.PaymentIntent:
    intent = client.v1.payment_intents.create(params={"amount": amount, "currency": "vnd", **params})
    paid = client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    assert paid.status == "succeeded"
    return paid


def settlement_line(ref: str, kind: str, amount: int, fee: int, day: date) -> SettlementLine:
    return SettlementLine(provider="card", attempt_ref=ref, provider_ref=uuid.uuid4().hex[:12], kind=kind,
                          amount_minor=amount, fee_minor=fee, currency="VND",
                          transacted_at=datetime.now(UTC), settlement_date=day + timedelta(days=1))


def settlement_statement(net_minor: int, day: date, path: Path) -> Path:
    """The golden statement with its VNPAY payout turned into the card acquirer's for ``day``."""
    xml = STATEMENT_TEMPLATE.read_text()
    xml = xml.replace("366700", str(net_minor)).replace("VNPAY TT QUYET TOAN NGAY 20261121",
                                                        f"CARD TT QUYET TOAN NGAY {day:%Y%m%d}")
    path.write_text(xml.replace("6216700", str(5_000_000 + 1_250_000 + net_minor - 400_000)))
    return path


async def refuse_to_recover(*_):
    raise AssertionError("every line of these files is in the ledger: nothing to recover")


def reconcile(database_url: str, day: date, lines: list[SettlementLine], tmp_path: Path, *,
              statement_net_minor: int | None = None) -> RunStatus:
    """Run (or resume) the card acquirer's reconciliation of ``day`` on the server's database."""
    settlement = tmp_path / f"card-{day}.csv"
    with settlement.open("wb") as stream:
        write_settlement_csv(lines, stream)
    statement = None if statement_net_minor is None else settlement_statement(
        statement_net_minor, day, tmp_path / f"statement-{day}.xml")

    async def run() -> RunStatus:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            recovery = Recovery(query_status=refuse_to_recover, book_paid=refuse_to_recover)
            return (await run_reconciliation(conn, CARD, day, settlement, statement=statement,
                                             recovery=recovery)).status

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


@pytest.fixture
def business_day() -> date:
    """A day of its own: runs are one per provider and day, and the server's database is
    shared by every test. Matching goes by reference, whatever day a payment was made."""
    return date(2080, 1, 1) + timedelta(days=random.randrange(300 * 365))


def test_a_new_agency_has_an_empty_balance_shaped_as_stripes(client):
    balance = client.v1.balance.retrieve()
    stripes = json.loads(STRIPE_FIXTURES.read_text())["resources"]["balance"]
    assert set(balance.to_dict()) == set(stripes)
    assert (balance.object, balance.livemode, balance.connect_reserved) == ("balance", False, None)
    assert [b.to_dict() for b in balance.pending + balance.available] == [
        {"amount": 0, "currency": "vnd", "source_types": None}] * 2


def test_the_older_client_namespace_reads_it_too(client):
    with pytest.warns(DeprecationWarning):
        assert client.balance.retrieve().object == "balance"


def test_payments_refunds_settlement_and_remittance_move_the_money_along(client, api_database_url, business_day,
                                                                         tmp_path):
    first, second = pay(client, 150_000), pay(client, 50_000)
    assert figures(client) == (200_000, 0)

    refund = client.v1.refunds.create(params={"payment_intent": first.id, "amount": 30_000})
    assert refund.status == "succeeded"
    assert figures(client) == (170_000, 0)

    # The acquirer settles the first payment and the refund; the second waits for another day.
    lines = [settlement_line(first.latest_attempt, "payment", 150_000, 1_000, business_day),
             settlement_line(provider_refund_ref(refund.id), "refund", 30_000, 0, business_day)]
    assert reconcile(api_database_url, business_day, lines, tmp_path) == RunStatus.AWAITING_STATEMENT
    assert figures(client) == (50_000, 120_000)

    # The bank's statement shows the net (fees are the portal's, not the agency's): remitted.
    completed = reconcile(api_database_url, business_day, lines, tmp_path, statement_net_minor=119_000)
    assert completed == RunStatus.COMPLETED
    assert figures(client) == (50_000, 0)

    next_day = business_day + timedelta(days=1)
    later = [settlement_line(second.latest_attempt, "payment", 50_000, 500, next_day)]
    assert reconcile(api_database_url, next_day, later, tmp_path, statement_net_minor=49_500) == RunStatus.COMPLETED
    assert figures(client) == (0, 0)


def test_a_split_payment_adds_each_agencys_share_to_its_own_balance(new_secret, stripe_client):
    # Catalogue agencies, so other tests may have paid them: compare before and after.
    bca, bxd = stripe_client(new_secret("BCA")), stripe_client(new_secret("BXD"))
    bca_before, bxd_before = figures(bca), figures(bxd)
    pay(bca, 135_000, service="BCA-GPLX-DOI", service_inputs={"dossier_number": "BCA-240101-0001"})
    assert figures(bca) == (bca_before[0] + 100_000, bca_before[1])
    assert figures(bxd) == (bxd_before[0] + 35_000, bxd_before[1])


def test_test_and_live_keys_never_see_each_others_money(new_secret, stripe_client, agency):
    test, live = stripe_client(new_secret(agency)), stripe_client(new_secret(agency, Mode.LIVE))
    pay(test, 40_000)
    pay(live, 70_000)
    pay(live, 5_000)
    assert figures(test) == (40_000, 0)
    assert figures(live) == (75_000, 0)
    assert (test.v1.balance.retrieve().livemode, live.v1.balance.retrieve().livemode) == (False, True)


def test_another_agencys_key_sees_only_its_own_figures(client, new_secret, stripe_client, agency):
    pay(client, 60_000)
    other = stripe_client(new_secret(f"{agency}Z"))
    assert figures(other) == (0, 0)
    assert figures(client) == (60_000, 0)


def test_parameters_are_refused_by_name(client):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.balance.retrieve(params={"currency": "vnd"})
    assert (refused.value.http_status, refused.value.param) == (400, "currency")


def test_payments_made_at_once_all_count(client):
    amounts = [10_000 + 1_000 * i for i in range(16)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda amount: pay(client, amount), amounts))
    assert figures(client) == (sum(amounts), 0)


def test_a_balance_read_while_a_run_settles_sees_all_of_it_or_none(client, api_database_url, business_day,
                                                                   tmp_path):
    paid = [pay(client, 20_000) for _ in range(5)]
    lines = [settlement_line(intent.latest_attempt, "payment", 20_000, 200, business_day) for intent in paid]
    with ThreadPoolExecutor(2) as pool:
        run = pool.submit(reconcile, api_database_url, business_day, lines, tmp_path)
        seen = {figures(client)}
        while not run.done():
            seen.add(figures(client))
        assert run.result() == RunStatus.AWAITING_STATEMENT
    seen.add(figures(client))
    # Settling moves money from pending to available in one step, never half of it.
    assert seen <= {(100_000, 0), (0, 100_000)} and (0, 100_000) in seen
