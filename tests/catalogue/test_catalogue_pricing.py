"""The read API on the seed: search without diacritics, one service, and the price of every
kind of service for a payer's inputs; every refusal names the field and changes nothing."""

from datetime import date

import psycopg
import pytest

from catalogue import store
from catalogue.errors import CatalogueError, Conflict, InvalidInput, NotFound
from catalogue.quoting import price_service

HOUSEHOLD = {"social_insurance_number": "0123456789", "months": "12"}


async def codes(conn, **query) -> list[str]:
    return [service.code for service in await store.list_services(conn, limit=100, **query)]


@pytest.mark.parametrize("query", ["giay phep lai xe", "Giấy phép lái xe", "GIAY PHEP  LAI XE", "driving licence"])
async def test_search_ignores_case_and_diacritics(shared_seed, query):
    assert await codes(shared_seed, query=query) == ["BCA-GPLX-CAPMOI", "BCA-GPLX-DOI", "BCA-GPLX-QUOCTE"]


async def test_search_matches_every_word_in_the_code_or_either_name(shared_seed):
    assert await codes(shared_seed, query="dang ky ho kinh doanh") == ["HCM-DKHKD", "HNI-DKHKD"]
    assert await codes(shared_seed, query="đăng ký hộ kinh doanh hà nội") == ["HNI-DKHKD"]
    assert await codes(shared_seed, query="evn") == ["EVN-CAPDIEN", "EVN-TIENDIEN"]
    assert await codes(shared_seed, query="khai sinh") == ["BTP-KHAISINH"]
    assert await codes(shared_seed, query="no such thing") == []


async def test_listing_pages_by_code_and_filters_by_agency(shared_seed):
    everything = await codes(shared_seed)
    first = [s.code for s in await store.list_services(shared_seed, limit=5)]
    rest = [s.code for s in await store.list_services(shared_seed, limit=100, starting_after=first[-1])]
    assert first + rest == everything == sorted(everything)
    assert await codes(shared_seed, agency_code="BTP") == ["BTP-CHUNGTHUC-DT", "BTP-KHAISINH"]
    with pytest.raises(InvalidInput) as refused:
        await store.list_services(shared_seed, limit=0)
    assert refused.value.field == "limit"


async def test_one_service_with_its_fields_and_rule(shared_seed):
    service = await store.get_service(shared_seed, "BHXH-BHYT-HGD")
    assert (service.agency_code, service.online_level, service.name_vi) == (
        "BHXH", 4, "Gia hạn thẻ bảo hiểm y tế theo hộ gia đình")
    assert [f.name for f in service.fields] == ["social_insurance_number", "months"]


def allocations(quote) -> dict[str, int]:
    return {a.agency_code: a.amount_minor for a in quote.allocations}


@pytest.mark.parametrize("on, total", [
    (date(2025, 1, 1), 1_263_600 + 884_520 + 758_160 + 631_800 + 505_440),  # 2,340,000 from 2024-07-01
    (date(2024, 6, 30), 972_000 + 680_400 + 583_200 + 486_000 + 388_800),  # 1,800,000 from 2023-07-01
    (date(2019, 7, 1), 804_600 + 563_220 + 482_760 + 402_300 + 321_840),  # 1,490,000 from 2019-07-01
])
async def test_a_household_premium_uses_the_base_salary_in_force_on_the_day(shared_seed, on, total):
    quote = await price_service(shared_seed, "BHXH-BHYT-HGD", HOUSEHOLD, on=on)
    assert (quote.total_minor, quote.priced_on, len(quote.lines)) == (total, on, 5)
    assert allocations(quote) == {"BHXH": total}


async def test_before_any_base_salary_the_premium_cannot_be_priced(shared_seed):
    with pytest.raises(Conflict) as refused:
        await price_service(shared_seed, "BHXH-BHYT-HGD", HOUSEHOLD, on=date(2019, 6, 30))
    assert refused.value.code == "no_base_salary"


@pytest.mark.parametrize("code, inputs, total, shares", [
    ("BCA-GPLX-CAPMOI", {"dossier_number": "BCA-250314-0001", "licence_class": "B"}, 765_000, {"BCA": 765_000}),
    ("BCA-GPLX-DOI", {"dossier_number": "BCA-250314-0001"}, 135_000, {"BXD": 35_000, "BCA": 100_000}),
    ("BTP-CHUNGTHUC-DT", {"dossier_number": "btp-250314-0002", "pages": "10"}, 12_000, {"BTP": 12_000}),
    ("BTP-KHAISINH", {"dossier_number": "BTP-250314-0003", "extract_copies": 3}, 24_000, {"BTP": 24_000}),
    ("BCT-KM-DANGKY", {"dossier_number": "BCT-250314-0001", "total_prize_value": "100000000"}, 1_000_000, {"BCT": 1_000_000}),
    ("BCT-KM-DANGKY", {"dossier_number": "BCT-250314-0001", "total_prize_value": "100000001"}, 3_000_000, {"BCT": 3_000_000}),
    ("BHXH-BHXH-TN", {"social_insurance_number": "0123456789", "declared_income": "5000000"}, 1_100_000, {"BHXH": 1_100_000}),
    ("BCT-KM-THONGBAO", {"dossier_number": "BCT-250314-0002"}, 0, {}),
    ("EVN-TIENDIEN", {"customer_code": "pe 0100 0012345"}, 412_350 + 389_900, {"EVN": 802_250}),
    ("TCT-NOPTHUE", {"tax_code": "0101234567"}, 3_200_000, {"TCT": 3_200_000}),
    ("BCA-XPVPHC-GT", {"decision_number": "0012347/qđ-xpvphc"}, 500_000, {"NSTW": 350_000, "BCA": 150_000}),
    ("BCA-XPVPHC-GT", {"plate_number": "30A-123.45"}, 23_000_000, {"NSTW": 16_100_000, "BCA": 6_900_000}),
])
async def test_every_kind_of_service_is_priced_and_split(shared_seed, code, inputs, total, shares):
    quote = await price_service(shared_seed, code, inputs, currency="vnd")
    assert (quote.total_minor, allocations(quote)) == (total, shares)
    assert sum(line.amount_minor for line in quote.lines) == total


async def test_a_bill_quote_names_the_bills_it_settles(shared_seed):
    quote = await price_service(shared_seed, "EVN-TIENDIEN", {"customer_code": "PE01000012345"})
    assert [(b.reference, b.period, b.amount_minor) for b in quote.bills] == [
        ("PE01000012345-202505", "2025-05", 412_350), ("PE01000012345-202506", "2025-06", 389_900)]
    assert quote.inputs == {"customer_code": "PE01000012345"}


async def sandbox_and_catalogue(conn: psycopg.AsyncConnection) -> list:
    rows = []
    for table in ("sandbox_bills", "services", "agencies", "dossiers", "data_versions"):
        rows.append(await (await conn.execute(f"SELECT to_jsonb(t) FROM catalogue.{table} t ORDER BY 1::text")).fetchall())
    return rows


@pytest.mark.parametrize("code, inputs, options, error, field, reason", [
    ("BTP-NOPE", {}, {}, NotFound, "service_code", "unknown_service"),
    ("btp chungthuc", {}, {}, InvalidInput, "service_code", "malformed"),
    ("BTP-CHUNGTHUC-DT", {"dossier_number": "BTP-250314-0002"}, {}, InvalidInput, "pages", "missing_field"),
    ("BTP-CHUNGTHUC-DT", {"dossier_number": "BTP-2503-2", "pages": "1"}, {}, InvalidInput, "dossier_number", "malformed"),
    ("BTP-CHUNGTHUC-DT", {"dossier_number": "BTP-250314-0002", "pages": "1"}, {"currency": "USD"}, InvalidInput,
     "currency", "wrong_currency"),
    ("EVN-TIENDIEN", {"customer_code": "12345"}, {}, InvalidInput, "customer_code", "malformed"),
    ("EVN-TIENDIEN", {"customer_code": "PE09999999999"}, {}, NotFound, "customer_code", "nothing_owed"),
    ("BCA-XPVPHC-GT", {}, {}, InvalidInput, "decision_number", "missing_field"),
    ("BCA-XPVPHC-GT", {"decision_number": "0012348/QĐ-XPVPHC"}, {}, InvalidInput, "decision_number",
     "amount_outside_legal_range"),
    ("BCA-XPVPHC-GT", {"plate_number": "51F-678.91"}, {}, InvalidInput, "plate_number", "unknown_violation_code"),
    ("BHXH-BHYT-HGD", HOUSEHOLD | {"months": "5"}, {}, InvalidInput, "months", "not_allowed"),
    ("BHXH-BHYT-HGD", HOUSEHOLD | {"social_insurance_number": "0000000000"}, {}, NotFound, "social_insurance_number",
     "unknown_household"),
    ("BHXH-BHXH-TN", {"social_insurance_number": "0123456789", "declared_income": "1000"}, {}, InvalidInput,
     "declared_income", "out_of_range"),
])
async def test_every_refusal_names_the_field_and_the_reason_and_changes_nothing(shared_seed, code, inputs, options,
                                                                               error, field, reason):
    before = await sandbox_and_catalogue(shared_seed)
    with pytest.raises(error) as refused:
        await price_service(shared_seed, code, inputs, **options)
    assert (refused.value.field, refused.value.code) == (field, reason)
    assert str(refused.value).startswith(f"{field}: ") and isinstance(refused.value, CatalogueError)
    assert await sandbox_and_catalogue(shared_seed) == before
