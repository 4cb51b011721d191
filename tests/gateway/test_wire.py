"""Wire details, with raw HTTP: encodings, authentication, error shapes, headers, probes."""

import httpx
import pytest

from gateway.keys.model import Mode

REQUEST_ID = r"req_[A-Za-z0-9]{24}"


def test_probes_and_schema(api_url):
    assert httpx.get(f"{api_url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{api_url}/readyz").json() == {"status": "ready"}
    schema = httpx.get(f"{api_url}/schema/openapi.json").json()
    assert "/v1/payment_intents" in schema["paths"]


def test_nested_form_and_both_array_encodings(http):
    body = ("amount=300000&currency=vnd&metadata[dossier]=H01.22-0002&metadata[ghi_chu]=l%E1%BB%87+ph%C3%AD"
            "&payment_method_types[]=card&payment_method_types[]=vietqr")
    created = http.post("/v1/payment_intents", content=body,
                        headers={"Content-Type": "application/x-www-form-urlencoded"}).json()
    assert created["metadata"] == {"dossier": "H01.22-0002", "ghi_chu": "lệ phí"}
    assert created["payment_method_types"] == ["card", "vietqr"]
    indexed = http.post("/v1/payment_intents", data={"amount": "1", "currency": "vnd",
                                                     "payment_method_types[0]": "vietqr"}).json()
    assert indexed["payment_method_types"] == ["vietqr"]


def test_json_bodies_are_accepted(http):
    created = http.post("/v1/payment_intents", json={"amount": 5000, "currency": "vnd", "metadata": {"k": "v"},
                                                     "reference": "QD-123/2026"})
    assert created.status_code == 200, created.text
    assert (created.json()["metadata"], created.json()["reference"]) == ({"k": "v"}, "QD-123/2026")


def test_error_shape_and_request_id(http):
    refused = http.post("/v1/payment_intents", data={"amount": "abc", "currency": "vnd"})
    assert refused.status_code == 400
    assert refused.json() == {"error": {"type": "invalid_request_error", "code": "parameter_invalid_integer",
                                        "param": "amount", "message": refused.json()["error"]["message"]}}
    assert refused.headers["Request-Id"].startswith("req_")
    nested = http.post("/v1/payment_intents", data={"amount": "1", "currency": "vnd", "metadata[k][deep]": "x"})
    assert nested.json()["error"]["param"] == "metadata"


def test_unknown_routes_answer_in_stripes_shape(http):
    missing = http.get("/v1/charges")
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "invalid_request_error"
    assert "Request-Id" in missing.headers


def test_stripe_version_is_accepted(http):
    response = http.get("/v1/payment_intents", headers={"Stripe-Version": "2024-06-20"})
    assert response.status_code == 200


def test_http_basic_with_the_key_as_user(api_url, secret):
    assert httpx.get(f"{api_url}/v1/payment_intents", auth=(secret, "")).status_code == 200


@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer sk_test_unknownunknownunknown", "Bearer pk_test_abc",
                                           "Basic !!!", "Token sk_test_abc"])
def test_missing_or_bad_keys_are_401(api_url, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    refused = httpx.get(f"{api_url}/v1/payment_intents", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["error"]["type"] == "invalid_request_error"
    assert "unknownunknown" not in refused.text  # a rejected key is not echoed in full


def test_a_revoked_key_is_refused(api_url, api_database_url, new_secret, agency, outlive_key_cache):
    import psycopg

    from gateway.keys.model import secret_hash

    secret = new_secret(agency, Mode.LIVE)
    assert secret.startswith("sk_live_")
    assert httpx.get(f"{api_url}/v1/payment_intents", auth=(secret, "")).status_code == 200
    with psycopg.connect(api_database_url, autocommit=True) as conn:
        conn.execute("UPDATE gateway.api_keys SET revoked_at = now() WHERE secret_sha256 = %s", (secret_hash(secret),))
    outlive_key_cache()
    assert httpx.get(f"{api_url}/v1/payment_intents", auth=(secret, "")).status_code == 401


@pytest.mark.parametrize(("method", "url", "content"), [
    # Found by tests/gateway/test_fuzzing.py: PostgreSQL text cannot hold NUL, and the query
    # that met one answered 500.
    ("GET", "/v1/events?starting_after=%00", None),
    ("POST", "/v1/payment_intents", b"amount=100&currency=vnd&description=a%00b"),
    ("POST", "/v1/payment_intents", b'{"amount": 100, "currency": "vnd", "metadata": {"k": "\\u0000"}}'),
    ("GET", "/v1/payment_intents/pi_%00", None),
    ("GET", "/pay/pi_%00", None),
])
def test_a_nul_character_is_a_400_naming_its_parameter(http, method, url, content):
    content_type = "application/json" if content and content.startswith(b"{") else "application/x-www-form-urlencoded"
    answer = http.request(method, url, content=content, headers={"Content-Type": content_type})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["type"] == "invalid_request_error"
