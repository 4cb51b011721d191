"""Fee splits: exact to the đồng, never negative, and each share what the split says."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import fee_amounts, fee_splits, full_basis_point_splits

from catalogue.errors import Conflict
from catalogue.fees import BasisPointsShare, FeeSplit, FixedShare
from catalogue.splitting import split_total

TRAFFIC_FINE = FeeSplit(shares=[BasisPointsShare(party="NSTW", basis_points=7_000)], remainder_to="BCA")


def as_dict(allocations) -> dict[str, int]:
    return {a.agency_code: a.amount_minor for a in allocations}


def test_a_fine_split_seventy_thirty():
    assert as_dict(split_total(2_000_000, "BCA", TRAFFIC_FINE)) == {"NSTW": 1_400_000, "BCA": 600_000}


def test_the_remainder_party_takes_the_rounding():
    # 70 % of 1,001 is 700.7: the central budget gets 700, the remainder 301.
    assert as_dict(split_total(1_001, "BCA", TRAFFIC_FINE)) == {"NSTW": 700, "BCA": 301}


def test_fixed_amounts_come_first_and_basis_points_share_the_rest():
    split = FeeSplit(shares=[FixedShare(party="BXD", amount_minor=35_000),
                             BasisPointsShare(party="NSTW", basis_points=5_000)], remainder_to="BCA")
    assert as_dict(split_total(135_000, "BCA", split)) == {"BXD": 35_000, "NSTW": 50_000, "BCA": 50_000}


def test_without_a_split_the_agency_receives_everything_and_nothing_is_split_from_zero():
    assert as_dict(split_total(135_000, "BTP", None)) == {"BTP": 135_000}
    assert split_total(0, "BTP", None) == [] == split_total(0, "BCA", TRAFFIC_FINE)


def test_fixed_shares_larger_than_the_total_are_refused():
    split = FeeSplit(shares=[FixedShare(party="BXD", amount_minor=35_000)], remainder_to="BCA")
    with pytest.raises(Conflict) as refused:
        split_total(30_000, "BCA", split)
    assert (refused.value.field, refused.value.code) == ("split", "fixed_shares_exceed_total")


@given(fee_splits(), fee_amounts)
def test_splits_sum_exactly_to_the_total(split, total):
    fixed = sum(s.amount_minor for s in split.shares if isinstance(s, FixedShare))
    if fixed > total:
        with pytest.raises(Conflict):
            split_total(total, "AGENCY", split)
        return
    allocations = split_total(total, "AGENCY", split)
    assert sum(a.amount_minor for a in allocations) == total
    assert all(a.amount_minor > 0 for a in allocations)
    assert allocations == split_total(total, "AGENCY", split)  # deterministic
    assert {a.agency_code for a in allocations} <= split.parties
    received = as_dict(allocations)
    for share in split.shares:
        if share.party == split.remainder_to:
            continue
        wanted = share.amount_minor if isinstance(share, FixedShare) else (total - fixed) * share.basis_points // 10_000
        assert received.get(share.party, 0) == wanted


@given(full_basis_point_splits(), st.integers(0, 10**9))
def test_when_basis_points_cover_everything_the_remainder_is_only_rounding(split, total):
    allocations = as_dict(split_total(total, "AGENCY", split))
    exact_shares = sum(total * s.basis_points // 10_000 for s in split.shares)
    assert 0 <= allocations.get(split.remainder_to, 0) < len(split.shares)
    assert allocations.get(split.remainder_to, 0) == total - exact_shares


def test_a_split_refuses_more_than_ten_thousand_basis_points_and_a_party_twice():
    with pytest.raises(ValueError, match="10000"):
        FeeSplit(shares=[BasisPointsShare(party="A1", basis_points=6_000), BasisPointsShare(party="B1", basis_points=5_000)],
                 remainder_to="A1")
    with pytest.raises(ValueError, match="one share"):
        FeeSplit(shares=[BasisPointsShare(party="A1", basis_points=1), FixedShare(party="A1", amount_minor=1)],
                 remainder_to="A1")
