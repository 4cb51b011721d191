"""The outcomes a tester can choose, and what each means for the callbacks sent."""

from __future__ import annotations

import enum
from collections.abc import Mapping

import msgspec


class Scenario(enum.StrEnum):
    SUCCESS = "success"
    DECLINE = "decline"
    # The provider takes the money but its answer is lost: the card API call hangs past the
    # client's timeout (SandboxTiming.hang_s), the payer's browser never comes back from
    # the payment page (VNPAY, MoMo, the bank), and no callback is sent. Only a status
    # query tells.
    TIMEOUT = "timeout"
    NEVER_CALLS_BACK = "never_calls_back"  # paid; the redirect comes back but no callback
    CALLS_BACK_FIVE_TIMES = "calls_back_five_times"  # the same signed message, five times
    WRONG_AMOUNT = "wrong_amount"  # paid, but an amount other than the one asked
    LATE = "late"  # paid; the callback comes hours later (SandboxTiming.late_s)

    @property
    def pays(self) -> bool:
        return self is not Scenario.DECLINE


def chosen_scenario(form: Mapping[str, str]) -> Scenario | None:
    """The outcome a tester picked (the form's ``scenario``); None when it names none of ours."""
    try:
        return Scenario(form.get("scenario", ""))
    except ValueError:
        return None


UNKNOWN_SCENARIO = f"scenario must be one of: {', '.join(Scenario)}"


class SandboxTiming(msgspec.Struct, frozen=True, kw_only=True):
    """Delays, real by default; tests shrink them."""

    late_s: float = 3 * 3600.0
    retry_delays_s: tuple[float, ...] = (60.0, 300.0, 900.0, 3600.0)  # after a failed delivery
    hang_s: float = 120.0  # how long a TIMEOUT request hangs before the sandbox answers
    wrong_amount_delta_minor: int = -1000  # what a WRONG_AMOUNT payer pays less
    # A minute as a provider's order validity counts it (MoMo's orderExpireTime is in whole
    # minutes): tests shrink it to see an order expire.
    minute_s: float = 60.0


class CallbackPlan(msgspec.Struct, frozen=True, kw_only=True):
    copies: int  # how many times the same message is sent, each with its own retries
    delay_s: float


def plan_callbacks(scenario: Scenario, timing: SandboxTiming) -> CallbackPlan:
    match scenario:
        case Scenario.TIMEOUT | Scenario.NEVER_CALLS_BACK:
            return CallbackPlan(copies=0, delay_s=0.0)
        case Scenario.CALLS_BACK_FIVE_TIMES:
            return CallbackPlan(copies=5, delay_s=0.0)
        case Scenario.LATE:
            return CallbackPlan(copies=1, delay_s=timing.late_s)
        case _:
            return CallbackPlan(copies=1, delay_s=0.0)


def paid_amount_minor(scenario: Scenario, asked_minor: int, timing: SandboxTiming) -> int:
    """What the payer actually paid."""
    if scenario is Scenario.WRONG_AMOUNT:
        return max(1, asked_minor + timing.wrong_amount_delta_minor)
    return asked_minor
