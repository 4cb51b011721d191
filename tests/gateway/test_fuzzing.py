"""Schemathesis against the real server's own OpenAPI document: every operation, called with
a valid test-mode key, never answers a 5xx and always answers what the document declares (a
documented status code, its content type, a body matching its schema).

The document is Litestar's, generated from the handlers' declarations
(gateway/api/openapi.py gives every /v1 route Stripe's status codes and error object). The
operations are those of an app built in this process (tests/gateway/app_routes.py), one test
each, fuzzed as the running server serves them; a first test checks that the two documents
list the same operations. The examples are derandomized and bounded, so a run is repeatable
and takes about a minute."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.gateway.app_routes import api_operations, openapi_document

# Valid requests (as the document describes them) for every operation, and invalid ones
# (each breaking the document somehow) for those with a body: in a path or a query string
# schemathesis finds too little to break (it gives up, Unsatisfiable), and the fuzzing of
# valid strings reaches them there.
EXAMPLES_PER_OPERATION = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 15}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
OPERATIONS = api_operations()
CASES = [(method, path, GenerationMode.POSITIVE) for method, path in OPERATIONS] + [
    (method, path, GenerationMode.NEGATIVE) for method, path in OPERATIONS
    if "requestBody" in openapi_document()["paths"][path][method.lower()]]


@pytest.fixture(scope="session")
def served_schema(api_url: str):
    # /schema itself is Litestar's HTML viewer; the document is beside it.
    return schemathesis.openapi.from_url(f"{api_url}/schema/openapi.json")


@pytest.fixture(scope="session")
def fuzzing_secret(new_secret) -> str:
    return new_secret("FUZZ")


def test_the_served_document_has_the_operations_fuzzed(served_schema) -> None:
    served = {(operation.ok().method.upper(), operation.ok().path) for operation in served_schema.get_all_operations()}
    assert served == set(OPERATIONS)


def test_every_api_operation_documents_its_answer() -> None:
    """Without a schema for its 200 the conformance check below would pass anything: each
    /v1 handler says what it answers (gateway/api/openapi.py, ``documented``)."""
    def answer_schema(method: str, path: str) -> dict:
        return openapi_document()["paths"][path][method.lower()]["responses"]["200"]["content"]["application/json"]["schema"]

    undocumented = [f"{method} {path}" for method, path in OPERATIONS
                    if path.startswith("/v1/") and not answer_schema(method, path)]
    assert undocumented == []


def test_every_operation_that_expands_documents_expand() -> None:
    """So that the fuzzing below sends it too: ``expand`` in the body, ``expand[]`` in the
    query string, with the paths the operation takes. The PaymentIntent's and the Checkout
    Session's operations take it (a session's line items, a list object, do not)."""
    def expandable(method: str, path: str) -> list[str]:
        operation = openapi_document()["paths"][path][method.lower()]
        in_query = [p["schema"] for p in operation.get("parameters", []) if p["name"] == "expand[]"]
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
        found = in_query + ([body["properties"]["expand"]] if "expand" in body.get("properties", {}) else [])
        return [found[0]["items"]["enum"]] if found else []

    expanding = {(method, path) for method, path in OPERATIONS if expandable(method, path)}
    assert expanding == {(method, path) for method, path in OPERATIONS
                         if path.startswith(("/v1/payment_intents", "/v1/checkout/sessions"))
                         and not path.endswith("/line_items")}
    assert expandable("GET", "/v1/checkout/sessions") == [["data.line_items", "data.payment_intent"]]
    assert expandable("POST", "/v1/checkout/sessions/{session_id}/expire") == [["line_items", "payment_intent"]]
    assert "latest_charge" in expandable("POST", "/v1/payment_intents/{intent_id}/confirm")[0]


@pytest.mark.parametrize(("method", "path", "mode"), CASES, ids=[f"{m} {p} {mode}" for m, p, mode in CASES])
def test_no_operation_answers_a_server_error_or_off_its_document(
    served_schema, api_url: str, fuzzing_secret: str, method: str, path: str, mode: GenerationMode
) -> None:
    headers = {"Authorization": f"Bearer {fuzzing_secret}"}

    @given(case=served_schema[path][method].as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES_PER_OPERATION[mode], derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def call(case) -> None:
        case.call_and_validate(base_url=api_url, headers=headers, checks=CHECKS)

    call()
