"""The remittance plan as a pure function: never a negative remittance, nothing lost, and
over any sequence of days every agency is remitted exactly what it settled, less what
still waits to be carried."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reconciliation.remittance_plan import AgencyRemittance, plan_remittances

AGENCIES = ("MOJ", "MOH", "EVN")
amounts = st.integers(-500_000, 500_000)
day_totals = st.dictionaries(st.sampled_from(AGENCIES), amounts, max_size=3)


@given(settled=day_totals, carried=st.dictionaries(st.sampled_from(AGENCIES), amounts.filter(bool), max_size=3))
def test_a_plan_never_remits_a_negative_amount_and_loses_nothing(settled, carried):
    plan = {entry.agency: entry for entry in plan_remittances(settled, carried)}
    for agency in settled.keys() | carried.keys():
        entry = plan.get(agency)
        if entry is None:  # its carries wait, untouched: nothing of this run's to weigh them against
            assert settled.get(agency, 0) == 0 and carried.get(agency, 0) <= 0
            continue
        assert entry.remit_minor >= 0 >= entry.carried_forward_minor
        assert entry.settled_minor + entry.brought_forward_minor == entry.remit_minor + entry.carried_forward_minor


@given(st.lists(day_totals, max_size=8))
def test_over_many_days_each_agency_gets_what_it_settled(days):
    waiting: dict[str, list[int]] = {}  # carries not yet taken, as the table holds them
    remitted = dict.fromkeys(AGENCIES, 0)
    for settled in days:
        sums = {agency: sum(rows) for agency, rows in waiting.items() if rows}
        for entry in plan_remittances(settled, sums):
            waiting[entry.agency] = [entry.carried_forward_minor] if entry.carried_forward_minor else []
            remitted[entry.agency] += entry.remit_minor
    for agency in AGENCIES:
        total = sum(day.get(agency, 0) for day in days)
        assert remitted[agency] == total - sum(waiting.get(agency, []))
        assert sum(waiting.get(agency, [])) <= 0


def test_a_refund_day_then_a_payment_day():
    assert plan_remittances({"MOJ": -50_000, "MOH": 80_000}, {}) == [
        AgencyRemittance(agency="MOH", settled_minor=80_000, brought_forward_minor=0, remit_minor=80_000,
                         carried_forward_minor=0),
        AgencyRemittance(agency="MOJ", settled_minor=-50_000, brought_forward_minor=0, remit_minor=0,
                         carried_forward_minor=-50_000)]
    assert plan_remittances({"MOJ": 30_000}, {"MOJ": -50_000}) == [
        AgencyRemittance(agency="MOJ", settled_minor=30_000, brought_forward_minor=-50_000, remit_minor=0,
                         carried_forward_minor=-20_000)]
    assert plan_remittances({}, {"MOH": 70_000, "MOJ": -20_000}) == [
        AgencyRemittance(agency="MOH", settled_minor=0, brought_forward_minor=70_000, remit_minor=70_000,
                         carried_forward_minor=0)]
