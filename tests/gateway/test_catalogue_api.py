"""The public catalogue over HTTP, without an API key."""

import httpx
import pytest


@pytest.fixture
def public(api_url):
    with httpx.Client(base_url=api_url, timeout=10) as client:
        yield client


def test_search_ignores_diacritics_and_pages(public):
    found = public.get("/v1/catalogue/services", params={"q": "giay phep lai xe"}).json()
    codes = [item["service"]["code"] for item in found["data"]]
    assert found["object"] == "list" and "BCA-GPLX-DOI" in codes
    first = public.get("/v1/catalogue/services", params={"limit": 2}).json()
    second = public.get("/v1/catalogue/services", params={"limit": 2, "starting_after": first["data"][-1]["service"]["code"]}).json()
    assert first["has_more"] and len(first["data"]) == 2
    assert not {i["service"]["code"] for i in first["data"]} & {i["service"]["code"] for i in second["data"]}


def test_one_service_and_its_price(public):
    service = public.get("/v1/catalogue/services/BCA-GPLX-DOI").json()["service"]
    assert (service["agency_code"], service["fee"]["amount_minor"]) == ("BCA", 135_000)
    quote = public.get("/v1/catalogue/services/BHXH-BHYT-HGD/price",
                       params={"inputs[social_insurance_number]": "0123456789", "inputs[months]": "12"})
    assert quote.status_code == 200, quote.text
    assert quote.json()["quote"]["total_minor"] > 0


def test_refusals_name_the_parameter(public):
    missing = public.get("/v1/catalogue/services/BCA-KHONG-CO")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "resource_missing"
    unpriced = public.get("/v1/catalogue/services/BCA-GPLX-DOI/price")
    assert unpriced.status_code == 400 and unpriced.json()["error"]["param"] == "inputs[dossier_number]"
    unknown = public.get("/v1/catalogue/services", params={"colour": "red"})
    assert unknown.status_code == 400 and unknown.json()["error"]["param"] == "colour"


def test_agencies_without_their_treasury_accounts(public):
    agencies = public.get("/v1/catalogue/agencies").json()["data"]
    codes = {a["code"] for a in agencies}
    assert {"BCA", "BTP", "BHXH", "EVN", "BCT", "TCT", "HNI", "HCM"} <= codes
    assert all("treasury" not in a for a in agencies)
