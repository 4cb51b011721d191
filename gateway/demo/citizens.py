"""Each citizen's errand as the portal sees it: the agency, the catalogue's service and the
payer's inputs, and what the sandbox back-ends must know first (the citizen's penalty
decision, electricity bills or household). Pure; identifiers carry the run's tag, so that
every run of the demo has bills of its own to pay (a bill is paid once)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import msgspec

from catalogue.billers.sandbox import NewBill, SandboxFixtures
from catalogue.model import Household
from gateway.demo.day_plan import Errand, Visit

AGENCY_OF = {Errand.FINE: "BCA", Errand.LICENCE_FEE: "BCA", Errand.PREMIUM: "BHXH", Errand.ELECTRICITY: "EVN",
             Errand.CHECKOUT: "BTP"}
AGENCIES = tuple(sorted(set(AGENCY_OF.values())))

FAMILY_NAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ")
GIVEN_NAMES = ("Văn An", "Thị Bình", "Minh Châu", "Quốc Dũng", "Thu Hà", "Đức Huy", "Thị Lan", "Hoàng Long",
               "Ngọc Mai", "Văn Nam", "Thanh Phương", "Thị Quỳnh", "Minh Tuấn", "Thị Vân")

# Violations of the seed catalogue, each with a decision amount inside its legal range.
VIOLATIONS = (
    ("ND168-D7-K2-H", 500_000, "Xe máy không đội mũ bảo hiểm"),
    ("ND168-D6-K3-A", 900_000, "Ô tô chạy quá tốc độ từ 05 km/h đến dưới 10 km/h"),
    ("ND168-D7-K7-C", 5_000_000, "Xe máy không chấp hành hiệu lệnh của đèn tín hiệu"),
    ("ND168-D6-K5-DD", 4_500_000, "Ô tô chạy quá tốc độ từ 10 km/h đến 20 km/h"),
)
PLATE_SERIES = ("30A", "29B1", "51F", "43C", "92H1")

# A Checkout Session's line items (price_data as Stripe's clients send them).
CERTIFIED_EXTRACT_MINOR = 8_000
POSTAGE_MINOR = 22_000


class Obligation(msgspec.Struct, frozen=True, kw_only=True):
    """What one citizen comes to pay, as the agency's PaymentIntent or Checkout Session asks for it."""

    visit: Visit
    agency: str
    payer: str
    reference: str
    service: str | None = None  # None: a Checkout Session with its own line items
    service_inputs: dict[str, str] = {}
    line_items: list[dict] = []
    # A procedure's fee: the citizen submits the dossier and pays once the agency asks;
    # the dossier's code is then the reference and the service's dossier_number.
    submits_dossier: bool = False
    records: SandboxFixtures = SandboxFixtures()


def payer_name(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY_NAMES)} {rng.choice(GIVEN_NAMES)}"


def obligation_of(visit: Visit, run_tag: str, today: date, rng: random.Random) -> Obligation:
    """The citizen's errand; ``run_tag`` is seven digits that make this run's identifiers new."""
    assert len(run_tag) == 7 and run_tag.isdigit(), run_tag
    n = f"{visit.citizen_no:04d}"
    common = {"visit": visit, "agency": AGENCY_OF[visit.errand], "payer": payer_name(rng)}
    match visit.errand:
        case Errand.FINE:
            code, amount, description = rng.choice(VIOLATIONS)
            decision = f"{run_tag}{n}/QĐ-XPVPHC"
            plate = f"{rng.choice(PLATE_SERIES)}{rng.randrange(10_000, 100_000)}"
            bill = NewBill(biller="csgt", reference=decision, subject=plate, description=description,
                           amount_minor=amount, due_date=today + timedelta(days=10), violation_code=code)
            return Obligation(**common, reference=decision, service="BCA-XPVPHC-GT",
                           service_inputs={"decision_number": decision}, records=SandboxFixtures(bills=[bill]))
        case Errand.LICENCE_FEE:
            # The dossier's code is the portal's, given when the citizen submits it.
            return Obligation(**common, reference="", service="BCA-GPLX-DOI", submits_dossier=True)
        case Errand.PREMIUM:
            number = f"8{run_tag[-5:]}{n}"
            household = Household(social_insurance_number=number, head_name=common["payer"],
                                  members=rng.randint(1, 5), coverage_end=today + timedelta(days=rng.randint(1, 60)))
            return Obligation(**common, reference=number, service="BHXH-BHYT-HGD",
                           service_inputs={"social_insurance_number": number, "months": str(rng.choice((3, 6, 12)))},
                           records=SandboxFixtures(households=[household]))
        case Errand.ELECTRICITY:
            customer = f"PD{run_tag}{n}"
            months = [(today.replace(day=1) - timedelta(days=28 * back)) for back in range(rng.randint(1, 2), 0, -1)]
            bills = [NewBill(biller="evn", reference=f"{customer}-{month:%Y%m}", subject=customer,
                             description=f"Tiền điện kỳ {month:%m/%Y}", period=f"{month:%Y-%m}",
                             amount_minor=rng.randrange(150_000, 1_500_000, 50), due_date=today + timedelta(days=7))
                     for month in months]
            return Obligation(**common, reference=customer, service="EVN-TIENDIEN",
                           service_inputs={"customer_code": customer}, records=SandboxFixtures(bills=bills))
        case Errand.CHECKOUT:
            order = f"TL{run_tag}{n}"  # the agency's order number, not a dossier of the portal
            items = [_line_item("Bản sao trích lục khai sinh", CERTIFIED_EXTRACT_MINOR, rng.randint(1, 4)),
                     _line_item("Phí gửi kết quả qua bưu điện", POSTAGE_MINOR, 1)]
            return Obligation(**common, reference=order, line_items=items)


def _line_item(name: str, unit_amount_minor: int, quantity: int) -> dict:
    return {"price_data": {"currency": "vnd", "unit_amount": unit_amount_minor, "product_data": {"name": name}},
            "quantity": quantity}


def all_records(obligations: list[Obligation]) -> SandboxFixtures:
    return SandboxFixtures(bills=[bill for e in obligations for bill in e.records.bills],
                          households=[household for e in obligations for household in e.records.households])
