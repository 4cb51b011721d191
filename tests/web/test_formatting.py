"""Money and time as Vietnamese pages show them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from gateway.web.formatting import NO_BREAK_SPACE, format_date, format_local_datetime, format_vnd


def test_dong_are_grouped_by_dots_with_the_sign_after() -> None:
    assert format_vnd(150_000) == f"150.000{NO_BREAK_SPACE}₫"
    assert format_vnd(0) == f"0{NO_BREAK_SPACE}₫"
    assert format_vnd(999) == f"999{NO_BREAK_SPACE}₫"
    assert format_vnd(1_250_000) == f"1.250.000{NO_BREAK_SPACE}₫"
    assert format_vnd(-412_350) == f"-412.350{NO_BREAK_SPACE}₫"


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_the_figures_are_the_amount_in_groups_of_three(amount: int) -> None:
    text = format_vnd(amount)
    number, sign = text.split(NO_BREAK_SPACE)
    assert sign == "₫"
    groups = number.lstrip("-").split(".")
    assert all(len(group) == 3 for group in groups[1:]) and 1 <= len(groups[0]) <= 3
    assert int(number.replace(".", "")) == amount


def test_times_are_shown_in_vietnam_whatever_the_zone_they_come_in() -> None:
    # 17:30 UTC is 00:30 the next day in Hanoi (UTC+7, no daylight saving).
    assert format_local_datetime(datetime(2025, 12, 31, 17, 30, tzinfo=UTC)) == "01/01/2026 00:30"
    paris = timezone(timedelta(hours=1))
    assert format_local_datetime(datetime(2025, 6, 1, 12, 0, tzinfo=paris)) == "01/06/2025 18:00"
    assert format_date(date(2025, 7, 10)) == "10/07/2025"
