"""Dossiers over HTTP: a citizen submits and tracks without a key; the owning agency moves
the dossier on and requests payment with its key; another agency sees nothing."""

import httpx
import pytest


@pytest.fixture
def public(api_url):
    with httpx.Client(base_url=api_url, timeout=10) as client:
        yield client


def agency_client(api_url, new_secret, code):
    return httpx.Client(base_url=api_url, timeout=10, headers={"Authorization": f"Bearer {new_secret(code)}"})


@pytest.fixture
def btp(api_url, new_secret):
    with agency_client(api_url, new_secret, "BTP") as client:
        yield client


def submit(public):
    answer = public.post("/v1/dossiers", data={"service": "BTP-CHUNGTHUC-DT", "applicant_name": "Trần Thị B",
                                               "contact": "b@example.vn", "fields[pages]": "5"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_submit_move_on_request_payment_and_track(public, btp):
    submitted = submit(public)
    code, secret = submitted["dossier"]["code"], submitted["tracking_secret"]
    assert code.startswith("BTP-") and submitted["dossier"]["status"] == "submitted"
    for status in ("received", "in_progress"):
        moved = btp.post(f"/v1/dossiers/{code}/advance", data={"status": status})
        assert moved.status_code == 200 and moved.json()["dossier"]["status"] == status
    awaiting = btp.post(f"/v1/dossiers/{code}/request_payment", headers={"Idempotency-Key": f"pay-{code}"}).json()
    assert (awaiting["dossier"]["status"], awaiting["dossier"]["amount_minor"]) == ("awaiting_payment", 7_000)
    tracking = public.post(f"/v1/dossiers/{code}/track", data={"tracking_secret": secret}).json()["tracking"]
    assert [entry["status"] for entry in tracking["timeline"]] == [
        "submitted", "received", "in_progress", "awaiting_payment"]
    assert "Trần Thị B" not in str(tracking) and "b@example.vn" not in str(tracking)


def test_refusals(public, btp, api_url, new_secret):
    code = submit(public)["dossier"]["code"]
    illegal = btp.post(f"/v1/dossiers/{code}/advance", data={"status": "completed"})
    assert illegal.status_code == 400 and illegal.json()["error"]["param"] == "status"
    wrong_secret = public.post(f"/v1/dossiers/{code}/track", data={"tracking_secret": "AAAAAAAAAAAAAAAA"})
    unknown = public.post("/v1/dossiers/BTP-990101-9999/track", data={"tracking_secret": "AAAAAAAAAAAAAAAA"})
    assert wrong_secret.status_code == unknown.status_code == 404  # the same answer: no probing for codes
    with agency_client(api_url, new_secret, "HNI") as hni:
        assert hni.get(f"/v1/dossiers/{code}").status_code == 404
    assert btp.get(f"/v1/dossiers/{code}").json()["dossier"]["applicant_name"] == "Trần Thị B"
    bad = public.post("/v1/dossiers", data={"service": "BTP-CHUNGTHUC-DT", "applicant_name": "X",
                                            "contact": "x@example.vn", "fields[pages]": "0"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "fields[pages]"
