"""What a run remits to each agency's treasury account, as a pure function of what it
settled for the agency and what is carried for it from before.

A remittance is never negative: a run whose refunds for an agency exceed its payments
carries the difference forward, and the agency's next remittance is that much smaller.
Money settled after a run had remitted (an exception resolved later) is carried too, and
the agency's next remittance takes it. Nothing is lost: for every agency, what it settled
plus what it brought forward is what it remits plus what it carries forward, or, when
the run has nothing for it, its carries wait for a run that has.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec


class AgencyRemittance(msgspec.Struct, frozen=True, kw_only=True):
    agency: str
    settled_minor: int  # by this run's matched lines, refunds negative
    brought_forward_minor: int  # the carries this run takes
    remit_minor: int  # posted to the treasury account; never negative
    carried_forward_minor: int  # negative: what the agency's next remittance gives back


def plan_remittances(settled: Mapping[str, int], carried: Mapping[str, int]) -> list[AgencyRemittance]:
    """One entry for each agency this run remits to, takes carries of, or carries forward
    for, by agency. ``settled``: this run's totals; ``carried``: the carries still waiting."""
    plan = []
    for agency in sorted(settled.keys() | carried.keys()):
        settled_minor, brought_minor = settled.get(agency, 0), carried.get(agency, 0)
        due_minor = settled_minor + brought_minor
        if due_minor <= 0 and settled_minor == 0:
            continue  # nothing of this run's for it: its carries wait for a run with some
        plan.append(AgencyRemittance(agency=agency, settled_minor=settled_minor, brought_forward_minor=brought_minor,
                                     remit_minor=max(due_minor, 0), carried_forward_minor=min(due_minor, 0)))
    for entry in plan:
        assert entry.remit_minor >= 0 >= entry.carried_forward_minor
        assert entry.settled_minor + entry.brought_forward_minor == entry.remit_minor + entry.carried_forward_minor
    return plan
