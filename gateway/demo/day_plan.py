"""What happens at the portal during the demo's day, decided before anything is sent: each
citizen's errand, provider and outcome. Pure, and reproducible from a seed.

Every day has the same incidents (one of each thing that goes wrong at a real portal),
then ordinary citizens with a realistic mix: most pay, some are declined, some give up."""

from __future__ import annotations

import enum
import random

import msgspec


class Errand(enum.StrEnum):
    FINE = "fine"  # a traffic-fine decision (BCA)
    LICENCE_FEE = "licence_fee"  # a driving-licence exchange fee (BCA)
    PREMIUM = "premium"  # a household health-insurance premium (BHXH)
    ELECTRICITY = "electricity"  # a customer's outstanding electricity bills (EVN)
    CHECKOUT = "checkout"  # certified birth-register extracts through a Checkout Session (BTP)


class Outcome(enum.StrEnum):
    PAID = "paid"
    DECLINED = "declined"
    ABANDONED = "abandoned"  # the payer leaves before paying (or the agency expires the session)
    DUPLICATE_CALLBACKS = "duplicate_callbacks"  # the provider sends its callback five times
    LATE_CALLBACK = "late_callback"  # paid; the callback comes hours later (scaled down)
    LOST_CALLBACK = "lost_callback"  # paid; no callback ever, the payer's browser never returns
    WRONG_AMOUNT = "wrong_amount"  # the provider took (and settles) 1,000 đồng less than asked


PROVIDERS = ("vnpay", "momo", "vietqr", "card")
# Only a provider with a payment page and callbacks can lose, repeat or delay one.
CALLBACK_OUTCOMES = {Outcome.DUPLICATE_CALLBACKS, Outcome.LATE_CALLBACK, Outcome.LOST_CALLBACK, Outcome.WRONG_AMOUNT}


class Visit(msgspec.Struct, frozen=True, kw_only=True):
    citizen_no: int
    errand: Errand
    provider: str
    outcome: Outcome

    def __post_init__(self) -> None:
        assert self.provider in PROVIDERS, self.provider
        assert not (self.provider == "card" and self.outcome in CALLBACK_OUTCOMES), self


# (errand, provider, outcome): the incidents every demo day has, first of all its visits.
INCIDENTS: tuple[tuple[Errand, str, Outcome], ...] = (
    (Errand.ELECTRICITY, "vnpay", Outcome.LOST_CALLBACK),
    (Errand.FINE, "momo", Outcome.WRONG_AMOUNT),
    (Errand.PREMIUM, "momo", Outcome.LATE_CALLBACK),
    (Errand.LICENCE_FEE, "vnpay", Outcome.DUPLICATE_CALLBACKS),
    (Errand.LICENCE_FEE, "card", Outcome.DECLINED),
    (Errand.FINE, "vietqr", Outcome.ABANDONED),
    (Errand.CHECKOUT, "card", Outcome.PAID),
    (Errand.CHECKOUT, "vnpay", Outcome.ABANDONED),
)
MIN_CITIZENS = len(INCIDENTS)

ERRAND_WEIGHTS = {Errand.FINE: 30, Errand.LICENCE_FEE: 25, Errand.PREMIUM: 20, Errand.ELECTRICITY: 25}
PROVIDER_WEIGHTS = {"vnpay": 30, "momo": 25, "vietqr": 25, "card": 20}
OUTCOME_WEIGHTS = {Outcome.PAID: 84, Outcome.DECLINED: 9, Outcome.ABANDONED: 7}


def plan_day(citizens: int, seed: int) -> list[Visit]:
    """``citizens`` visits: the day's incidents, then ordinary citizens drawn from the weights."""
    if citizens < MIN_CITIZENS:
        raise ValueError(f"a demo day needs at least {MIN_CITIZENS} citizens, one per incident")
    rng = random.Random(seed)
    visits = [Visit(citizen_no=n, errand=errand, provider=provider, outcome=outcome)
              for n, (errand, provider, outcome) in enumerate(INCIDENTS, start=1)]
    for n in range(len(INCIDENTS) + 1, citizens + 1):
        visits.append(Visit(citizen_no=n, errand=_draw(rng, ERRAND_WEIGHTS), provider=_draw(rng, PROVIDER_WEIGHTS),
                            outcome=_draw(rng, OUTCOME_WEIGHTS)))
    return visits


def _draw(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def sandbox_scenario(outcome: Outcome) -> str:
    """The outcome the payer chooses on a provider sandbox's page
    (providers/simulation/scenarios.py)."""
    return {
        Outcome.PAID: "success",
        Outcome.DECLINED: "decline",
        Outcome.DUPLICATE_CALLBACKS: "calls_back_five_times",
        Outcome.LATE_CALLBACK: "late",
        Outcome.LOST_CALLBACK: "never_calls_back",
        Outcome.WRONG_AMOUNT: "wrong_amount",
    }[outcome]


def payer_comes_back(outcome: Outcome) -> bool:
    """Whether the payer's browser returns to us from the provider's page: its return would
    settle the payment at once, so for a late or lost callback the browser is closed."""
    return outcome not in (Outcome.LATE_CALLBACK, Outcome.LOST_CALLBACK)


def expected_to_succeed(outcome: Outcome) -> bool:
    """Whether the payment should have succeeded before the nightly run: a lost callback
    is only found by reconciliation (or, much later, by the gateway's status query)."""
    return outcome in (Outcome.PAID, Outcome.DUPLICATE_CALLBACKS, Outcome.LATE_CALLBACK)


def resolves_before_the_night(visit: Visit) -> bool:
    """Whether the visit's payment attempt ends (paid, failed, or flagged for its amount)
    before reconciliation: a lost callback and a payer who left leave it waiting, and so
    does a declined VietQR transfer (the QR stays valid for another try)."""
    if visit.outcome in (Outcome.LOST_CALLBACK, Outcome.ABANDONED):
        return False
    return not (visit.outcome == Outcome.DECLINED and visit.provider == "vietqr")
