"""Every text a console template names by a composed key (``"console.class." ~ name``)
exists in both languages, for every value the run, the ledger and the console can hold."""

from __future__ import annotations

import msgspec
import pytest

from gateway.console.roles import Role
from gateway.web.i18n import LANGUAGES, all_messages
from ledger.model import NormalSide
from reconciliation.runs import Resolution, RunStatus, SettlementTotals
from reconciliation.settling import BANK_CREDIT_MISSING, BANK_DEBIT_MISSING

MATCH_CLASSES = ("matched", "amount_mismatch", "currency_mismatch", "missing_in_ledger", "missing_at_provider",
                 "duplicate_in_file", "timing_difference", "amount_mismatch_refused")
# What reconciliation.settling.total records in a run's totals.
TOTALS = (*(field.name for field in msgspec.structs.fields(SettlementTotals)), "fee_minor", "net_settlement_minor",
          "remitted_minor")
STAFF_ACTIONS = ("staff_created", "staff_disabled", "staff_role_changed", "staff_password_reset", "day_closed",
                 "run_started")
STAFF_REFUSALS = ("invalid_email", "email_taken", "staff_not_found", "self_lockout", "refused")

COMPOSED = [
    *(f"console.class.{name}" for name in (*MATCH_CLASSES, BANK_CREDIT_MISSING, BANK_DEBIT_MISSING, "lines", "recovered")),
    *(f"console.totals.{name}" for name in TOTALS),
    *(f"console.run_status.{status}" for status in RunStatus),
    *(f"console.resolution.{resolution}" for resolution in Resolution),
    *(f"console.audit.action.{action}" for action in (*STAFF_ACTIONS, *Resolution)),
    *(f"console.roles.{role}" for role in Role),
    *(f"console.ledger.side.{side}" for side in NormalSide),
    *(f"console.exception_status.{status}" for status in ("open", "resolved")),
    *(f"console.exceptions.show_{status}" for status in ("open", "resolved", "all")),
    *(f"console.staff.refused.{code}" for code in STAFF_REFUSALS),
    *(f"console.staff.missing.{name}" for name in ("email", "role", "reason")),
]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_composed_key_has_a_text(lang: str) -> None:
    texts = all_messages().by_language[lang]
    assert [key for key in COMPOSED if key not in texts] == []
