"""Dossiers against the database: submitted, advanced, paid inside the payment's own
transaction, tracked by the public with nothing personal shown."""

import asyncio
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import msgspec
import psycopg
import pytest

from catalogue.errors import Conflict, InvalidInput, NotFound
from catalogue.model import ActorKind, DossierStatus
from catalogue.procedures import (
    advance_dossier,
    get_dossier,
    mark_dossier_paid,
    request_payment,
    submit_dossier,
    supplement_dossier,
    track_dossier,
)
from ledger import store as ledger
from ledger.model import AccountSpec, NormalSide, Transfer

S = DossierStatus
LIVE = True  # every test here but the one about modes works on live dossiers
APPLICANT = {"applicant_name": "Lê Thị Hoa", "contact": "0912 345 678"}


async def submit(conn, code="BTP-CHUNGTHUC-DT", **fields):
    return await submit_dossier(conn, code, **APPLICANT, fields=fields or {"pages": "10"}, livemode=LIVE)


async def to_awaiting_payment(conn, code: str):
    await advance_dossier(conn, code, S.RECEIVED, actor="BTP:officer-7", livemode=LIVE)
    await advance_dossier(conn, code, S.IN_PROGRESS, actor="BTP:officer-7", note="checking the originals",
                          livemode=LIVE)
    return await request_payment(conn, code, actor="BTP:officer-7", livemode=LIVE)


async def test_a_dossier_from_submission_to_completion(seeded):
    submitted = await submit(seeded)
    code = submitted.dossier.code
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%y%m%d")
    assert code == f"BTP-{today}-0001" and len(submitted.tracking_secret) == 16
    assert (submitted.dossier.status, submitted.dossier.fields) == (S.SUBMITTED, {"pages": 10})
    awaiting = await to_awaiting_payment(seeded, code)
    assert (awaiting.status, awaiting.amount_minor, awaiting.currency) == (S.AWAITING_PAYMENT, 12_000, "VND")
    paid = await mark_dossier_paid(seeded, code, "pi_123", amount_minor=12_000, livemode=LIVE)
    done = await advance_dossier(seeded, code, S.COMPLETED, actor="BTP:officer-7", note="certified copy issued",
                                 livemode=LIVE)
    assert (paid.status, done.status, done.payment_ref) == (S.PAID, S.COMPLETED, "pi_123")
    assert [(e.seq, e.status, e.actor_kind, e.actor) for e in done.history] == [
        (1, S.SUBMITTED, ActorKind.APPLICANT, "applicant"),
        (2, S.RECEIVED, ActorKind.AGENCY, "BTP:officer-7"),
        (3, S.IN_PROGRESS, ActorKind.AGENCY, "BTP:officer-7"),
        (4, S.AWAITING_PAYMENT, ActorKind.AGENCY, "BTP:officer-7"),
        (5, S.PAID, ActorKind.PAYMENTS, "pi_123"),
        (6, S.COMPLETED, ActorKind.AGENCY, "BTP:officer-7"),
    ]
    assert done.history[2].note == "checking the originals"
    assert all(a.at <= b.at for a, b in zip(done.history, done.history[1:]))


async def test_paid_in_the_same_transaction_as_the_payment_or_not_at_all(seeded):
    code = (await submit(seeded)).dossier.code
    await to_awaiting_payment(seeded, code)
    await ledger.create_account(seeded, AccountSpec(code="provider:vnpay:clearing", currency="VND",
                                                    normal_side=NormalSide.DEBIT))
    payment = Transfer(id="pi_1", debit_account="provider:vnpay:clearing", credit_account="agency:BTP:payable",
                       amount_minor=12_000, currency="VND", kind="payment")
    with pytest.raises(RuntimeError):
        async with seeded.transaction():
            await ledger.post_transfer(seeded, payment)
            await mark_dossier_paid(seeded, code, "pi_1", livemode=LIVE)
            raise RuntimeError("the outbox insert failed")
    assert (await get_dossier(seeded, code, livemode=LIVE)).status is S.AWAITING_PAYMENT
    assert await ledger.get_transfer(seeded, "pi_1") is None
    async with seeded.transaction():
        await ledger.post_transfer(seeded, payment)
        await mark_dossier_paid(seeded, code, "pi_1", livemode=LIVE)
    assert (await get_dossier(seeded, code, livemode=LIVE)).status is S.PAID
    assert (await ledger.get_balance(seeded, "agency:BTP:payable")).posted == 12_000


async def test_marking_paid_again_is_harmless_but_another_payment_or_amount_is_refused(seeded):
    code = (await submit(seeded)).dossier.code
    await to_awaiting_payment(seeded, code)
    with pytest.raises(InvalidInput) as wrong:
        await mark_dossier_paid(seeded, code, "pi_1", amount_minor=11_000, livemode=LIVE)
    assert (wrong.value.field, wrong.value.code) == ("amount_minor", "wrong_amount")
    first = await mark_dossier_paid(seeded, code, "pi_1", livemode=LIVE)
    assert await mark_dossier_paid(seeded, code, "pi_1", livemode=LIVE) == first
    with pytest.raises(Conflict) as other:
        await mark_dossier_paid(seeded, code, "pi_2", livemode=LIVE)
    assert (other.value.field, other.value.code) == ("dossier_code", "already_paid")


async def test_illegal_moves_are_refused_and_change_nothing(seeded):
    code = (await submit(seeded)).dossier.code
    before = await get_dossier(seeded, code, livemode=LIVE)
    with pytest.raises(Conflict) as early:
        await mark_dossier_paid(seeded, code, "pi_1", livemode=LIVE)
    assert early.value.code == "illegal_transition"
    with pytest.raises(Conflict) as skipping:
        await advance_dossier(seeded, code, S.COMPLETED, actor="BTP:officer-7", livemode=LIVE)
    assert "cannot become completed" in str(skipping.value)
    with pytest.raises(InvalidInput) as by_hand:
        await advance_dossier(seeded, code, S.PAID, actor="BTP:officer-7", livemode=LIVE)
    assert by_hand.value.code == "use_payment_functions"
    await advance_dossier(seeded, code, S.RECEIVED, actor="BTP:officer-7", livemode=LIVE)
    await advance_dossier(seeded, code, S.IN_PROGRESS, actor="BTP:officer-7", livemode=LIVE)
    with pytest.raises(Conflict) as unpaid:
        await advance_dossier(seeded, code, S.COMPLETED, actor="BTP:officer-7", livemode=LIVE)
    assert unpaid.value.code == "payment_required"
    assert len((await get_dossier(seeded, code, livemode=LIVE)).history) == len(before.history) + 2


async def test_a_free_service_is_completed_without_payment(seeded):
    code = (await submit_dossier(seeded, "BCT-KM-THONGBAO", **APPLICANT, fields={}, livemode=LIVE)).dossier.code
    await advance_dossier(seeded, code, S.RECEIVED, actor="BCT:officer-1", livemode=LIVE)
    await advance_dossier(seeded, code, S.IN_PROGRESS, actor="BCT:officer-1", livemode=LIVE)
    with pytest.raises(Conflict) as nothing:
        await request_payment(seeded, code, actor="BCT:officer-1", livemode=LIVE)
    assert nothing.value.code == "nothing_to_pay"
    completed = await advance_dossier(seeded, code, S.COMPLETED, actor="BCT:officer-1", livemode=LIVE)
    assert completed.status is S.COMPLETED


async def test_returned_for_supplement_then_submitted_again_with_new_fields(seeded):
    submitted = await submit(seeded)
    code = submitted.dossier.code
    await advance_dossier(seeded, code, S.RECEIVED, actor="BTP:officer-7", livemode=LIVE)
    await advance_dossier(seeded, code, S.RETURNED_FOR_SUPPLEMENT, actor="BTP:officer-7", note="page 3 is missing",
                          livemode=LIVE)
    with pytest.raises(NotFound):
        await supplement_dossier(seeded, code, "WRONGSECRET23456", {"pages": "11"}, livemode=LIVE)
    again = await supplement_dossier(seeded, code, submitted.tracking_secret.lower(), {"pages": "11"},
                                     note="added page 3", livemode=LIVE)
    assert (again.status, again.fields, again.history[-1].actor_kind) == (S.SUBMITTED, {"pages": 11}, ActorKind.APPLICANT)


async def test_tracking_shows_the_timeline_and_nothing_personal(seeded):
    submitted = await submit(seeded)
    code = submitted.dossier.code
    await advance_dossier(seeded, code, S.RECEIVED, actor="BTP:Nguyễn Văn Cán Bộ", note="received at the one-stop desk",
                          livemode=LIVE)
    tracking = await track_dossier(seeded, code, submitted.tracking_secret, livemode=LIVE)
    assert [(t.status, t.actor_kind, t.note) for t in tracking.timeline] == [
        (S.SUBMITTED, ActorKind.APPLICANT, None), (S.RECEIVED, ActorKind.AGENCY, "received at the one-stop desk")]
    assert tracking.service_name_vi == "Chứng thực bản sao điện tử từ bản chính"
    shown = msgspec.json.encode(tracking).decode()
    for personal in ("Lê Thị Hoa", "0912345678", "pages", "Nguyễn Văn Cán Bộ"):
        assert personal not in shown


async def test_a_wrong_secret_and_an_unknown_code_get_the_same_answer(seeded):
    code = (await submit(seeded)).dossier.code
    answers = []
    for dossier_code, secret in [(code, "AAAAAAAAAAAAAAAA"), ("BTP-990101-0001", "AAAAAAAAAAAAAAAA")]:
        with pytest.raises(NotFound) as refused:
            await track_dossier(seeded, dossier_code, secret, livemode=LIVE)
        answers.append(str(refused.value))
    assert answers[0] == answers[1] == "dossier_code: no dossier with this code and tracking secret"
    with pytest.raises(InvalidInput) as malformed:
        await track_dossier(seeded, "BTP-1", "x", livemode=LIVE)
    assert (malformed.value.field, malformed.value.code) == ("dossier_code", "malformed")


@pytest.mark.parametrize("service, applicant, fields, field, code", [
    ("BTP-CHUNGTHUC-DT", APPLICANT, {}, "pages", "missing_field"),
    ("BTP-CHUNGTHUC-DT", APPLICANT | {"contact": "not a contact"}, {"pages": "1"}, "contact", "malformed"),
    ("BTP-CHUNGTHUC-DT", APPLICANT | {"applicant_name": "  "}, {"pages": "1"}, "applicant_name", "malformed"),
    ("BTP-CHUNGTHUC-DT", APPLICANT, {"pages": "1", "dossier_number": "BTP-250101-0001"}, "dossier_number", "unknown_field"),
    ("BTP-NOPE", APPLICANT, {}, "service_code", "unknown_service"),
])
async def test_a_refused_submission_names_the_field_and_leaves_nothing(seeded, service, applicant, fields, field, code):
    with pytest.raises((InvalidInput, NotFound)) as refused:
        await submit_dossier(seeded, service, **applicant, fields=fields, livemode=LIVE)
    assert (refused.value.field, refused.value.code) == (field, code)
    counts = await (await seeded.execute(
        "SELECT (SELECT count(*) FROM catalogue.dossiers), (SELECT count(*) FROM catalogue.dossier_counters)")).fetchone()
    assert counts == (0, 0)


async def test_concurrent_submissions_get_consecutive_codes(seeded, database_url):
    async def one() -> str:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            return (await submit(conn)).dossier.code

    codes = await asyncio.gather(*(one() for _ in range(12)))
    assert sorted(int(re.search(r"-(\d+)$", c)[1]) for c in codes) == list(range(1, 13))
    another_agencys = await submit_dossier(seeded, "BCA-GPLX-DOI", **APPLICANT, fields={}, livemode=LIVE)
    assert another_agencys.dossier.code.endswith("-0001")


async def test_a_dossier_is_unknown_to_the_other_mode_which_changes_nothing(seeded):
    submitted = await submit(seeded)
    code, secret = submitted.dossier.code, submitted.tracking_secret
    before = await to_awaiting_payment(seeded, code)
    assert before.livemode is LIVE
    for act in (lambda: get_dossier(seeded, code, livemode=not LIVE),
                lambda: track_dossier(seeded, code, secret, livemode=not LIVE),
                lambda: advance_dossier(seeded, code, S.REJECTED, actor="BTP:test-key", livemode=not LIVE),
                lambda: request_payment(seeded, code, actor="BTP:test-key", livemode=not LIVE),
                lambda: supplement_dossier(seeded, code, secret, {"pages": "1"}, livemode=not LIVE),
                lambda: mark_dossier_paid(seeded, code, "pi_test", amount_minor=12_000, livemode=not LIVE)):
        with pytest.raises(NotFound) as unknown:
            await act()
        assert unknown.value.field == "dossier_code"
    assert await get_dossier(seeded, code, livemode=LIVE) == before
    # The other way round too; the codes of both modes come from one sequence, so never clash.
    other = await submit_dossier(seeded, "BTP-CHUNGTHUC-DT", **APPLICANT, fields={"pages": "2"}, livemode=not LIVE)
    assert other.dossier.livemode is not LIVE and other.dossier.code != code
    with pytest.raises(NotFound):
        await get_dossier(seeded, other.dossier.code, livemode=LIVE)
