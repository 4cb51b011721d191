"""A dossier's status machine as a pure function: the table, and random walks through it."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalogue.errors import Conflict
from catalogue.model import ActorKind, DossierStatus
from catalogue.transitions import ALLOWED, check_transition

S, A = DossierStatus, ActorKind
HAPPY_PATH = [S.SUBMITTED, S.RECEIVED, S.IN_PROGRESS, S.AWAITING_PAYMENT, S.PAID, S.COMPLETED]


def refusal(current, target, actor, free=False) -> str | None:
    try:
        check_transition(current, target, actor, service_is_free=free)
    except Conflict as exc:
        assert exc.field == "status"
        return exc.code
    return None


def test_the_happy_path_with_its_actors():
    actors = [A.AGENCY, A.AGENCY, A.AGENCY, A.PAYMENTS, A.AGENCY]
    for current, target, actor in zip(HAPPY_PATH, HAPPY_PATH[1:], actors):
        assert refusal(current, target, actor) is None


@pytest.mark.parametrize("current, target, actor, code", [
    (S.SUBMITTED, S.PAID, A.PAYMENTS, "illegal_transition"),
    (S.IN_PROGRESS, S.PAID, A.PAYMENTS, "illegal_transition"),
    (S.AWAITING_PAYMENT, S.PAID, A.AGENCY, "not_allowed_for_actor"),
    (S.SUBMITTED, S.RECEIVED, A.APPLICANT, "not_allowed_for_actor"),
    (S.RETURNED_FOR_SUPPLEMENT, S.SUBMITTED, A.AGENCY, "not_allowed_for_actor"),
    (S.IN_PROGRESS, S.COMPLETED, A.AGENCY, "payment_required"),
    (S.PAID, S.REJECTED, A.AGENCY, "illegal_transition"),
    (S.COMPLETED, S.IN_PROGRESS, A.AGENCY, "illegal_transition"),
    (S.REJECTED, S.SUBMITTED, A.APPLICANT, "illegal_transition"),
])
def test_illegal_moves_are_refused_by_name(current, target, actor, code):
    assert refusal(current, target, actor) == code


def test_a_free_service_completes_without_payment_and_the_message_says_what_is_possible():
    assert refusal(S.IN_PROGRESS, S.COMPLETED, A.AGENCY, free=True) is None
    with pytest.raises(Conflict, match="it can become received, rejected"):
        check_transition(S.SUBMITTED, S.COMPLETED, A.AGENCY, service_is_free=True)
    with pytest.raises(Conflict, match="nothing: it is final"):
        check_transition(S.COMPLETED, S.SUBMITTED, A.APPLICANT, service_is_free=True)


attempts = st.lists(st.tuples(st.sampled_from(S), st.sampled_from(A)), max_size=40)


@given(attempts, st.booleans())
def test_random_walks_keep_the_rules(walk, free):
    status, history = S.SUBMITTED, [S.SUBMITTED]
    for target, actor in walk:
        if refusal(status, target, actor, free) is None:
            assert ALLOWED[status][target] is actor
            status = target
            history.append(status)
    for before, after in zip(history, history[1:]):
        # Only a payment makes a dossier paid, and only one that was awaiting it.
        assert (after is S.PAID) == (before is S.AWAITING_PAYMENT and after is S.PAID)
        # A dossier of a paid service is completed only once paid.
        if after is S.COMPLETED and not free:
            assert before is S.PAID
        assert before not in (S.COMPLETED, S.REJECTED)  # final states stay final
