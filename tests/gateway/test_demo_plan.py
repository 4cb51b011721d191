"""The demo's day plan and its citizens' errands, pure: every incident every day, outcomes
only where a provider can produce them, and inputs the seed catalogue accepts."""

from __future__ import annotations

import json
import random
import re
from datetime import date
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.demo.citizens import AGENCY_OF, all_records, obligation_of
from gateway.demo.day_plan import (
    CALLBACK_OUTCOMES, INCIDENTS, MIN_CITIZENS, Errand, Outcome, plan_day, resolves_before_the_night,
    sandbox_scenario,
)
from providers.simulation.scenarios import Scenario

SEED = json.loads((resources.files("catalogue") / "data" / "seed.json").read_text())
SERVICES = {service["code"]: service for service in SEED["services"]}
VIOLATIONS = {violation["code"]: violation for violation in SEED["violations"]}

citizens = st.integers(min_value=MIN_CITIZENS, max_value=150)
seeds = st.integers(min_value=0, max_value=2**32)
run_tags = st.integers(min_value=0, max_value=10**7 - 1).map(lambda n: f"{n:07d}")


@given(citizens, seeds)
def test_every_day_has_every_incident_first_then_its_citizens(count, seed):
    visits = plan_day(count, seed)
    assert [v.citizen_no for v in visits] == list(range(1, count + 1))
    assert [(v.errand, v.provider, v.outcome) for v in visits[:len(INCIDENTS)]] == list(INCIDENTS)
    assert {v.outcome for v in visits} >= CALLBACK_OUTCOMES | {Outcome.DECLINED, Outcome.ABANDONED}
    # A card has no callback to lose, repeat or delay; Checkout Sessions are the incidents' only.
    assert not any(v.provider == "card" and v.outcome in CALLBACK_OUTCOMES for v in visits)
    assert not any(v.errand == Errand.CHECKOUT for v in visits[len(INCIDENTS):])
    assert plan_day(count, seed) == visits


def test_fewer_citizens_than_incidents_is_refused():
    with pytest.raises(ValueError, match="at least"):
        plan_day(MIN_CITIZENS - 1, 1)


def test_each_outcome_the_payer_chooses_is_a_sandbox_scenario():
    for outcome in set(Outcome) - {Outcome.ABANDONED}:
        assert Scenario(sandbox_scenario(outcome))
    lost = plan_day(MIN_CITIZENS, 0)[0]
    assert lost.outcome == Outcome.LOST_CALLBACK and not resolves_before_the_night(lost)


@given(citizens, seeds, run_tags)
def test_errands_use_the_seed_catalogues_services_with_inputs_it_accepts(count, seed, run_tag):
    visits = plan_day(count, seed)
    obligations = [obligation_of(v, run_tag, date(2026, 12, 2), random.Random(seed)) for v in visits]
    for obligation in obligations:
        assert obligation.agency == AGENCY_OF[obligation.visit.errand]
        if obligation.service is None:
            assert obligation.visit.errand == Errand.CHECKOUT and obligation.line_items
            continue
        service = SERVICES[obligation.service]
        assert service["agency_code"] == obligation.agency and obligation.visit.provider in service["providers"]
        fields = {field["name"]: field for field in service["fields"]}
        for name, value in obligation.service_inputs.items():
            assert re.fullmatch(fields[name].get("pattern", ".*"), value), (name, value)
    records = all_records(obligations)
    for bill in records.bills:
        if bill.violation_code:  # a decision's amount must be inside its violation's legal range
            violation = VIOLATIONS[bill.violation_code]
            assert violation["minimum_minor"] <= bill.amount_minor <= violation["maximum_minor"]
    # Bills are paid once: no two citizens of a run share one, nor a household.
    assert len({(b.biller, b.reference) for b in records.bills}) == len(records.bills)
    numbers = [h.social_insurance_number for h in records.households]
    assert len(set(numbers)) == len(numbers)
