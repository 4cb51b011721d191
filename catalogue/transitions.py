"""Which status a dossier may move to, and who may move it: a pure function over a table.

    submitted → received → in_progress → awaiting_payment → paid → completed

The agency may reject a dossier at any step before it is paid, or return it for a
supplement, after which the applicant submits it again. Only a succeeded payment moves a
dossier to ``paid``. A free service's dossier may be completed straight from
``in_progress``; any other must be paid first.
"""

from __future__ import annotations

from collections.abc import Mapping

from catalogue.errors import Conflict
from catalogue.model import ActorKind, DossierStatus

S, A = DossierStatus, ActorKind

ALLOWED: Mapping[DossierStatus, Mapping[DossierStatus, ActorKind]] = {
    S.SUBMITTED: {S.RECEIVED: A.AGENCY, S.REJECTED: A.AGENCY},
    S.RECEIVED: {S.IN_PROGRESS: A.AGENCY, S.RETURNED_FOR_SUPPLEMENT: A.AGENCY, S.REJECTED: A.AGENCY},
    S.IN_PROGRESS: {S.AWAITING_PAYMENT: A.AGENCY, S.COMPLETED: A.AGENCY, S.RETURNED_FOR_SUPPLEMENT: A.AGENCY,
                    S.REJECTED: A.AGENCY},
    # Rejecting an unpaid dossier is how an agency closes one whose applicant never pays;
    # a payment arriving afterwards is refused by mark_dossier_paid and must be refunded.
    S.AWAITING_PAYMENT: {S.PAID: A.PAYMENTS, S.REJECTED: A.AGENCY},
    S.PAID: {S.COMPLETED: A.AGENCY},
    S.RETURNED_FOR_SUPPLEMENT: {S.SUBMITTED: A.APPLICANT, S.REJECTED: A.AGENCY},
    S.COMPLETED: {},
    S.REJECTED: {},
}


def check_transition(current: DossierStatus, target: DossierStatus, actor: ActorKind, *, service_is_free: bool) -> None:
    """Return if ``actor`` may move a dossier from ``current`` to ``target``; raise Conflict
    naming the rule otherwise."""
    allowed = ALLOWED[current]
    if target not in allowed:
        options = ", ".join(allowed) or "nothing: it is final"
        raise Conflict("status", "illegal_transition",
                       f"a dossier that is {current} cannot become {target}; it can become {options}")
    if allowed[target] is not actor:
        raise Conflict("status", "not_allowed_for_actor",
                       f"only the {allowed[target]} moves a dossier from {current} to {target}")
    if current is S.IN_PROGRESS and target is S.COMPLETED and not service_is_free:
        raise Conflict("status", "payment_required", "the service charges a fee: request payment before completing")
