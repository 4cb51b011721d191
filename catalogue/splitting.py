"""Who receives what of a payment: a pure function of the total and the service's split.

Budget levels (the central budget, say) are agencies of kind ``budget_level``, so every
party of a split is an agency with its own ``agency:<CODE>:payable`` account.
"""

from __future__ import annotations

from catalogue.errors import Conflict
from catalogue.fees import BasisPointsShare, FeeSplit, FixedShare
from catalogue.model import Allocation


def split_total(total_minor: int, agency_code: str, split: FeeSplit | None) -> list[Allocation]:
    """The parts of ``total_minor``, exact to the minor unit, in the split's order (the
    remainder party last, unless it also holds a share); a party that receives nothing is
    left out, as the ledger posts no transfer of zero. Without a split, the service's
    agency receives it all."""
    assert total_minor >= 0
    if split is None:
        return [Allocation(agency_code=agency_code, amount_minor=total_minor)] if total_minor else []
    if split.fixed_minor > total_minor:
        raise Conflict("split", "fixed_shares_exceed_total",
                       f"the split's fixed shares ({split.fixed_minor:,}) exceed the total ({total_minor:,})")
    shared_minor = total_minor - split.fixed_minor
    amounts: dict[str, int] = {}
    for share in split.shares:
        match share:
            case FixedShare():
                amounts[share.party] = share.amount_minor
            case BasisPointsShare():
                amounts[share.party] = shared_minor * share.basis_points // 10_000  # down: never more than shared
    amounts[split.remainder_to] = amounts.get(split.remainder_to, 0) + total_minor - sum(amounts.values())
    allocations = [Allocation(agency_code=party, amount_minor=amount) for party, amount in amounts.items() if amount]
    assert sum(a.amount_minor for a in allocations) == total_minor
    assert all(a.amount_minor > 0 for a in allocations)
    return allocations
