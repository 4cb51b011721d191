"""MoMo v3 signatures: rawSignature exactly as MoMo's API reference spells it, a worked
HMAC vector, round trips, tampering refused."""

from __future__ import annotations

import hashlib
import hmac

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import momo_create_requests, momo_payment_results

from providers.momo import signing
from providers.momo.signing import (
    CreatePaymentRequest,
    PaymentResult,
    QueryRequest,
    RefundRequest,
    message_raw_signature,
    raw_signature,
    sign_message,
    verify_message,
)

ACCESS_KEY = "TESTACCESSKEY01"
SECRET_KEY = "publicpay-test-secret-key-000000"

CREATE = CreatePaymentRequest(
    partner_code="MOMOPUBLICPAY", request_id="req_01HXYZ", amount=200000, order_id="pi_3F8A2",
    order_info="Le phi cap ho chieu", redirect_url="https://pay.dichvucong.example/checkout/cs_9Q/return?lang=vi",
    ipn_url="https://pay.dichvucong.example/providers/momo/ipn")
# MoMo's format: accessKey=$accessKey&amount=$amount&extraData=$extraData&ipnUrl=$ipnUrl
# &orderId=$orderId&orderInfo=$orderInfo&partnerCode=$partnerCode&redirectUrl=$redirectUrl
# &requestId=$requestId&requestType=$requestType -- values raw, not URL-encoded.
CREATE_RAW = (
    "accessKey=TESTACCESSKEY01&amount=200000&extraData=&ipnUrl=https://pay.dichvucong.example/providers/momo/ipn"
    "&orderId=pi_3F8A2&orderInfo=Le phi cap ho chieu&partnerCode=MOMOPUBLICPAY"
    "&redirectUrl=https://pay.dichvucong.example/checkout/cs_9Q/return?lang=vi&requestId=req_01HXYZ"
    "&requestType=captureWallet")
# HMAC-SHA256 of CREATE_RAW under SECRET_KEY, computed once outside this code base.
CREATE_SIGNATURE = "116825f7191a814fabed2853fdf8e947b4ed514de6a84c10a4d38497b818035a"

# The IPN example body of MoMo's "Payment Notification" page.
IPN_BODY = b"""{
  "orderType": "momo_wallet", "amount": 1000, "partnerCode": "MOMOT5BZ20231213_TEST",
  "orderId": "Partner_Transaction_ID_1721720620078", "extraData": "eyJza3VzIjoiIn0=",
  "signature": "7b9f4ca728076c32f16041cbc917ebf5e6e7359f0bde343dde3add69a518cf0d",
  "transId": 4088878653, "responseTime": 1721720663942, "resultCode": 0, "message": "Successful.",
  "payType": "qr", "requestId": "Request_ID_1721720620078", "orderInfo": "Thank you for your purchase at MoMo_test"
}"""


def test_create_raw_signature_and_worked_vector() -> None:
    assert message_raw_signature(CREATE, ACCESS_KEY) == CREATE_RAW
    independent = hmac.new(SECRET_KEY.encode(), CREATE_RAW.encode(), hashlib.sha256).hexdigest()
    assert independent == CREATE_SIGNATURE
    signed = sign_message(CREATE, ACCESS_KEY, SECRET_KEY)
    assert signed.signature == CREATE_SIGNATURE
    assert verify_message(signed, ACCESS_KEY, SECRET_KEY)


def test_create_request_goes_on_the_wire_in_camel_case() -> None:
    body = msgspec.json.decode(msgspec.json.encode(sign_message(CREATE, ACCESS_KEY, SECRET_KEY)))
    assert body == {
        "partnerCode": "MOMOPUBLICPAY", "requestId": "req_01HXYZ", "amount": 200000, "orderId": "pi_3F8A2",
        "orderInfo": "Le phi cap ho chieu", "redirectUrl": CREATE.redirect_url, "ipnUrl": CREATE.ipn_url,
        "requestType": "captureWallet", "extraData": "", "lang": "vi", "signature": CREATE_SIGNATURE}


def test_ipn_body_decodes_and_its_raw_signature_follows_momo_order() -> None:
    result = msgspec.json.decode(IPN_BODY, type=PaymentResult)
    assert message_raw_signature(result, "ACCESS") == (
        "accessKey=ACCESS&amount=1000&extraData=eyJza3VzIjoiIn0=&message=Successful."
        "&orderId=Partner_Transaction_ID_1721720620078&orderInfo=Thank you for your purchase at MoMo_test"
        "&orderType=momo_wallet&partnerCode=MOMOT5BZ20231213_TEST&payType=qr"
        "&requestId=Request_ID_1721720620078&responseTime=1721720663942&resultCode=0&transId=4088878653")
    # MoMo's secret for that test partner is not public: the documented signature must
    # simply not verify under ours.
    assert not verify_message(result, ACCESS_KEY, SECRET_KEY)


def test_redirect_query_strings_convert_to_the_same_result() -> None:
    # The redirect appends the same fields to redirectUrl, as strings.
    result = msgspec.json.decode(IPN_BODY, type=PaymentResult)
    query = {key: str(value) for key, value in msgspec.to_builtins(result).items()}
    assert msgspec.convert(query, PaymentResult, strict=False) == result


def test_query_and_refund_raw_signatures() -> None:
    query = QueryRequest(partner_code="MOMO", request_id="1527246504579", order_id="1527246478428", lang="en")
    assert message_raw_signature(query, "AK") == (
        "accessKey=AK&orderId=1527246478428&partnerCode=MOMO&requestId=1527246504579")
    refund = RefundRequest(partner_code="MOMO", order_id="1527297954700", request_id="1527314064527",
                           amount=55000, trans_id=144492817)
    assert message_raw_signature(refund, "AK") == (
        "accessKey=AK&amount=55000&description=&orderId=1527297954700&partnerCode=MOMO"
        "&requestId=1527314064527&transId=144492817")
    for message in (query, refund):
        assert verify_message(sign_message(message, "AK", SECRET_KEY), "AK", SECRET_KEY)


def test_raw_signature_sorts_and_requires_its_fields() -> None:
    assert raw_signature({"b": 2, "a": "x", "c": "unsigned"}, ("b", "a")) == "a=x&b=2"
    with pytest.raises(KeyError, match="needs b"):
        raw_signature({"a": "x"}, ("a", "b"))
    with pytest.raises(TypeError, match="amount must be str or int, not float"):
        raw_signature({"amount": 1.5}, ("amount",))  # type: ignore[dict-item]


def test_signature_in_uppercase_is_accepted_and_empty_is_not() -> None:
    signed = sign_message(CREATE, ACCESS_KEY, SECRET_KEY)
    assert verify_message(msgspec.structs.replace(signed, signature=signed.signature.upper()), ACCESS_KEY, SECRET_KEY)
    assert not verify_message(CREATE, ACCESS_KEY, SECRET_KEY)
    assert not verify_message(msgspec.structs.replace(signed, signature="é" * 64), ACCESS_KEY, SECRET_KEY)


def test_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest
    monkeypatch.setattr(signing.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    assert verify_message(sign_message(CREATE, ACCESS_KEY, SECRET_KEY), ACCESS_KEY, SECRET_KEY)
    assert calls == [(CREATE_SIGNATURE.encode(), CREATE_SIGNATURE.encode())]


def _tampered(value: object) -> st.SearchStrategy[object]:
    if isinstance(value, int):
        return st.integers(0, 2**53).filter(lambda other: other != value)
    return st.text(max_size=30).filter(lambda other: other != value)


@given(momo_payment_results, st.data())
def test_tampering_with_any_signed_result_field_fails(result: PaymentResult, data: st.DataObject) -> None:
    signed = sign_message(result, ACCESS_KEY, SECRET_KEY)
    assert verify_message(signed, ACCESS_KEY, SECRET_KEY)
    assert not verify_message(signed, ACCESS_KEY + "x", SECRET_KEY)
    assert not verify_message(signed, ACCESS_KEY, SECRET_KEY + "x")
    fields = {field.encode_name: field.name for field in msgspec.structs.fields(PaymentResult)}
    name = fields[data.draw(st.sampled_from([f for f in PaymentResult.signed_fields if f != "accessKey"]))]
    changed = msgspec.structs.replace(signed, **{name: data.draw(_tampered(getattr(signed, name)))})
    assert not verify_message(changed, ACCESS_KEY, SECRET_KEY)


@given(momo_create_requests, st.data())
def test_create_signature_covers_exactly_the_signed_fields(request: CreatePaymentRequest, data: st.DataObject) -> None:
    signed = sign_message(request, ACCESS_KEY, SECRET_KEY)
    fields = {field.encode_name: field.name for field in msgspec.structs.fields(CreatePaymentRequest)}
    name = fields[data.draw(st.sampled_from([f for f in CreatePaymentRequest.signed_fields if f != "accessKey"]))]
    changed = msgspec.structs.replace(signed, **{name: data.draw(_tampered(getattr(signed, name)))})
    assert not verify_message(changed, ACCESS_KEY, SECRET_KEY)
    # lang is sent but not signed: MoMo's format leaves it out.
    assert verify_message(msgspec.structs.replace(signed, lang="en"), ACCESS_KEY, SECRET_KEY)
