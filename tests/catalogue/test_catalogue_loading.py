"""Loading data files: the seed at first start, idempotence, versions, and bad files
refused whole with the field named."""

import itertools
from pathlib import Path

import msgspec
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from strategies import catalogue_files

from catalogue import store
from catalogue.definitions import CatalogueFile
from catalogue.errors import CatalogueError, Conflict, InvalidCatalogueData
from catalogue.loading import bundled_seed, ensure_seed_loaded, load_catalogue, load_catalogue_file, read_catalogue_file
from catalogue.quoting import price_service
from ledger import store as ledger
from ledger.model import AccountSpec, NormalSide

SEED_PATH = Path(__file__).parents[2] / "catalogue" / "data" / "seed.json"
CODES_OTHERS_RELY_ON = {"BCA", "BTP", "BHXH", "EVN", "BCT", "TCT", "HNI", "HCM"}


async def snapshot(conn: psycopg.AsyncConnection) -> list:
    """Everything a load can write, to compare before and after."""
    queries = ["SELECT to_jsonb(t) FROM catalogue.agencies t ORDER BY code",
               "SELECT to_jsonb(t) FROM catalogue.services t ORDER BY code",
               "SELECT to_jsonb(t) FROM catalogue.base_salaries t ORDER BY effective_from",
               "SELECT to_jsonb(t) FROM catalogue.violations t ORDER BY code",
               "SELECT version, checksum FROM catalogue.data_versions ORDER BY version",
               "SELECT code, currency, normal_side, debits_must_not_exceed_credits FROM ledger.accounts ORDER BY code"]
    return [await (await conn.execute(query)).fetchall() for query in queries]


async def test_the_seed_loads_at_first_start_and_only_then(conn):
    report = await ensure_seed_loaded(conn)
    assert report is not None and report.status == "loaded" and report.version == bundled_seed().version
    assert report.created["agencies"] == len(bundled_seed().agencies)
    assert CODES_OTHERS_RELY_ON <= {agency.code for agency in await store.list_agencies(conn)}
    assert await ensure_seed_loaded(conn) is None


async def test_a_newer_bundled_seed_is_loaded_at_start_and_an_older_one_is_not(conn, monkeypatch):
    seed = bundled_seed()
    await load_catalogue(conn, msgspec.structs.replace(seed, version=seed.version + 1))
    assert await ensure_seed_loaded(conn) is None  # the catalogue is ahead of the bundled file
    newer = msgspec.structs.replace(seed, version=seed.version + 2, notes="a new release")
    monkeypatch.setattr("catalogue.loading.bundled_seed", lambda: newer)
    report = await ensure_seed_loaded(conn)
    assert report is not None and (report.status, report.version) == ("loaded", seed.version + 2)


async def test_every_agency_gets_a_payable_and_a_treasury_account(seeded):
    for agency in await store.list_agencies(seeded):
        payable = await ledger.get_account(seeded, f"agency:{agency.code}:payable")
        treasury = await ledger.get_account(seeded, f"treasury:{agency.code}")
        assert (payable.currency, payable.normal_side, payable.debits_must_not_exceed_credits) == ("VND", NormalSide.CREDIT, True)
        assert (treasury.currency, treasury.normal_side) == ("VND", NormalSide.CREDIT)


async def test_the_seed_has_every_launch_service_with_its_kind_of_fee(seeded):
    kinds = {s.code: type(s.fee).__name__ for s in await store.list_services(seeded, limit=100)}
    assert kinds == {
        "BCA-GPLX-CAPMOI": "OptionFee", "BCA-GPLX-DOI": "FixedFee", "BCA-GPLX-QUOCTE": "FixedFee",
        "BCA-XPVPHC-GT": "FineFee", "BCT-CO": "OptionFee", "BCT-KM-DANGKY": "BracketFee", "BCT-KM-THONGBAO": "FixedFee",
        "BHXH-BHXH-TN": "PercentageFee", "BHXH-BHYT-CAPLAI": "FixedFee", "BHXH-BHYT-HGD": "HouseholdPremiumFee",
        "BTP-CHUNGTHUC-DT": "PerUnitFee", "BTP-KHAISINH": "PerUnitFee", "EVN-CAPDIEN": "OptionFee",
        "EVN-TIENDIEN": "BillFee", "HCM-DKHKD": "FixedFee", "HNI-DKHKD": "FixedFee", "TCT-NOPTHUE": "BillFee",
    }
    assert (await store.get_agency(seeded, "TCT")).parent_code == "BTC"


async def test_loading_the_same_file_twice_changes_nothing(conn):
    first = await load_catalogue_file(conn, SEED_PATH)
    before = await snapshot(conn)
    again = await load_catalogue_file(conn, SEED_PATH)
    assert (first.status, again.status) == ("loaded", "unchanged")
    assert await snapshot(conn) == before


async def test_a_new_version_adds_and_updates_but_never_deletes(seeded):
    seed = bundled_seed()
    renamed = msgspec.structs.replace(seed.agencies[0], name_en="Renamed")
    withdrawn = msgspec.structs.replace(seed.services[0], active=False)
    newer = CatalogueFile(version=seed.version + 1, agencies=[renamed], services=[withdrawn])
    report = await load_catalogue(seeded, newer)
    assert report.updated == {"agencies": 1, "base_salaries": 0, "violations": 0, "services": 1}
    assert report.created == {"agencies": 0, "base_salaries": 0, "violations": 0, "services": 0}
    assert (await store.get_agency(seeded, renamed.code)).name_en == "Renamed"
    assert not (await store.get_service(seeded, withdrawn.code)).active
    with pytest.raises(Conflict) as refused:
        await price_service(seeded, withdrawn.code, {})
    assert (refused.value.field, refused.value.code) == ("service_code", "service_withdrawn")
    assert withdrawn.code not in {s.code for s in await store.list_services(seeded, limit=100)}
    assert len(await store.list_services(seeded, limit=100, include_inactive=True)) == len(seed.services)


async def test_an_older_version_or_a_version_reused_with_other_content_is_refused(seeded):
    seed = bundled_seed()
    await load_catalogue(seeded, msgspec.structs.replace(seed, version=seed.version + 1))
    before = await snapshot(seeded)
    with pytest.raises(Conflict) as older:
        await load_catalogue(seeded, seed)
    assert (older.value.field, older.value.code) == ("$.version", "older_than_loaded")
    with pytest.raises(Conflict) as reused:
        await load_catalogue(seeded, msgspec.structs.replace(seed, version=seed.version + 1, notes="edited"))
    assert (reused.value.field, reused.value.code) == ("$.version", "version_reused")
    assert await snapshot(seeded) == before


def seed_document() -> dict:
    return msgspec.json.decode(SEED_PATH.read_bytes())


def first_service_with(document: dict, **changes) -> dict:
    document["services"][0] |= changes
    return document


def position(section: str, code: str) -> int:
    return [item["code"] for item in seed_document()[section]].index(code)


def change_service(code: str, edit) -> callable:
    return lambda document: edit(document["services"][position("services", code)])


def broken(edit) -> bytes:
    document = seed_document()
    edit(document)
    return msgspec.json.encode(document)


BAD_FILES = {
    "unknown agency of a service": (lambda d: first_service_with(d, agency_code="XYZ"), "$.services[0].agency_code",
                                    "unknown_agency"),
    "unknown parent": (lambda d: d["agencies"][0].update(parent_code="XYZ"), "$.agencies[0].parent_code", "unknown_agency"),
    "parent cycle": (lambda d: d["agencies"][position("agencies", "BTC")].update(parent_code="TCT"),
                     f"$.agencies[{position('agencies', 'BTC')}].parent_code", "parent_cycle"),
    "duplicate service": (lambda d: d["services"].append(d["services"][0]), f"$.services[{len(seed_document()['services'])}]",
                          "duplicate"),
    "unknown split party": (lambda d: first_service_with(d, split={"shares": [{"kind": "basis_points", "party": "XYZ",
                                                                                 "basis_points": 1}], "remainder_to": "BCA"}),
                            "$.services[0].split", "unknown_agency"),
    "unknown biller": (change_service("EVN-TIENDIEN", lambda s: s["fee"].update(biller="nope")),
                       f"$.services[{position('services', 'EVN-TIENDIEN')}].fee", "unknown_biller"),
    "lookup key the biller lacks": (change_service("EVN-TIENDIEN", lambda s: s["fee"].update(biller="tct")),
                                    f"$.services[{position('services', 'EVN-TIENDIEN')}].fee", "unknown_lookup_key"),
    "the one bill's field required": (change_service("EVN-TIENDIEN", lambda s: s["fields"][1].update(required=True)),
                                      f"$.services[{position('services', 'EVN-TIENDIEN')}]", "invalid"),
    "malformed agency code": (lambda d: d["agencies"][0].update(code="bca"), "$.agencies[0].code", "invalid"),
    "negative amount": (lambda d: d["violations"][0].update(minimum_minor=-5), "$.violations[0].minimum_minor", "invalid"),
    "missing version": (lambda d: d.pop("version"), "$", "invalid"),
}


@pytest.mark.parametrize("name", BAD_FILES)
async def test_a_bad_file_is_refused_whole_with_the_field_named(conn, tmp_path, name):
    edit, field, code = BAD_FILES[name]
    path = tmp_path / "catalogue.json"
    path.write_bytes(broken(edit))
    before = await snapshot(conn)
    with pytest.raises(InvalidCatalogueData) as refused:
        await load_catalogue_file(conn, path)
    assert (refused.value.field, refused.value.code) == (field, code), str(refused.value)
    assert await snapshot(conn) == before


def test_a_file_that_is_not_json_is_refused():
    with pytest.raises(InvalidCatalogueData) as refused:
        read_catalogue_file(b'{"version": 1,')
    assert (refused.value.field, refused.value.code) == ("$", "malformed_json")


async def test_a_refusal_from_the_ledger_rolls_back_the_whole_load(conn):
    # Someone opened BTP's payable account with another definition: the load must not half-happen.
    await ledger.create_account(conn, AccountSpec(code="agency:BTP:payable", currency="VND", normal_side=NormalSide.DEBIT))
    before = await snapshot(conn)
    with pytest.raises(Conflict) as refused:
        await ensure_seed_loaded(conn)
    assert (refused.value.field, refused.value.code) == ("agency_code", "exists_with_different_normal_side")
    assert await snapshot(conn) == before


@settings(max_examples=8, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(catalogue_files())
async def test_any_valid_file_loads_reads_back_as_written_and_reloads_unchanged(conn, catalogue):
    catalogue = msgspec.structs.replace(catalogue, version=next(VERSIONS))
    assert (await load_catalogue(conn, catalogue)).status == "loaded"
    for service in catalogue.services:
        assert await store.get_service(conn, service.code) == service
    for agency in catalogue.agencies:
        assert await store.get_agency(conn, agency.code) == agency
    assert (await load_catalogue(conn, catalogue)).status == "unchanged"


VERSIONS = itertools.count(1)


def test_catalogue_errors_read_field_colon_reason():
    error = InvalidCatalogueData("$.services[0].fee", "unknown_biller", "no biller 'x'")
    assert isinstance(error, CatalogueError) and str(error) == "$.services[0].fee: no biller 'x'"
