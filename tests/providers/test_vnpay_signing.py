"""VNPAY 2.1.0 signing: VNPAY's documented payment URL reproduced, our signatures
verified, any tampering refused."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import vnpay_params

from providers.vnpay import signing
from providers.vnpay.signing import canonical_query, payment_url, secure_hash, sign_params, verify_secure_hash

SECRET = "PUBLICPAYTESTHASHSECRET000000000"

# The parameters of the sample payment URL in VNPAY's integration guide
# (sandbox.vnpayment.vn/apis/docs/thanh-toan-pay/pay.html) ...
DOCUMENTED_PARAMS = {
    "vnp_Version": "2.1.0", "vnp_Command": "pay", "vnp_TmnCode": "DEMOV210", "vnp_Amount": 1806000,
    "vnp_CreateDate": "20210801153333", "vnp_CurrCode": "VND", "vnp_IpAddr": "127.0.0.1", "vnp_Locale": "vn",
    "vnp_OrderInfo": "Thanh toan don hang :5", "vnp_OrderType": "other",
    "vnp_ReturnUrl": "https://domainmerchant.vn/ReturnUrl", "vnp_TxnRef": "5",
}
# ... and that URL's query up to vnp_SecureHash, character for character.
DOCUMENTED_QUERY = (
    "vnp_Amount=1806000&vnp_Command=pay&vnp_CreateDate=20210801153333&vnp_CurrCode=VND&vnp_IpAddr=127.0.0.1"
    "&vnp_Locale=vn&vnp_OrderInfo=Thanh+toan+don+hang+%3A5&vnp_OrderType=other"
    "&vnp_ReturnUrl=https%3A%2F%2Fdomainmerchant.vn%2FReturnUrl&vnp_TmnCode=DEMOV210&vnp_TxnRef=5&vnp_Version=2.1.0")
# HMAC-SHA512 of DOCUMENTED_QUERY under SECRET, computed once outside this code base.
DOCUMENTED_HASH = ("cbc9e561dbcd78fefcae373b51b23edd39d49fe24f511a32fcbcab1dfcc3439141fb580e3d3de415314a1db75d680b11"
                   "13546182dd676814a30bbb16cd0cd66a")


def test_canonical_query_matches_vnpay_documentation() -> None:
    assert canonical_query(DOCUMENTED_PARAMS) == DOCUMENTED_QUERY


def test_worked_vector() -> None:
    independent = hmac.new(SECRET.encode(), DOCUMENTED_QUERY.encode(), hashlib.sha512).hexdigest()
    assert independent == DOCUMENTED_HASH
    assert secure_hash(DOCUMENTED_PARAMS, SECRET) == DOCUMENTED_HASH


def test_payment_url_is_the_signed_query_plus_the_hash() -> None:
    url = payment_url("https://sandbox.vnpayment.vn/paymentv2/vpcpay.html", DOCUMENTED_PARAMS, SECRET)
    assert url == (f"https://sandbox.vnpayment.vn/paymentv2/vpcpay.html?{DOCUMENTED_QUERY}"
                   f"&vnp_SecureHash={DOCUMENTED_HASH}")


def test_hash_parameters_and_foreign_parameters_are_not_signed() -> None:
    signed = sign_params(DOCUMENTED_PARAMS, SECRET)
    assert canonical_query({**signed, "vnp_SecureHashType": "HmacSHA512", "session": "cs_1"}) == DOCUMENTED_QUERY
    assert verify_secure_hash({**signed, "vnp_SecureHashType": "HmacSHA512", "session": "cs_1"}, SECRET)


def test_callback_hash_in_uppercase_is_accepted() -> None:
    signed = sign_params(DOCUMENTED_PARAMS, SECRET)
    assert verify_secure_hash({**signed, "vnp_SecureHash": signed["vnp_SecureHash"].upper()}, SECRET)


@pytest.mark.parametrize("params", [
    {**DOCUMENTED_PARAMS},  # no hash at all
    {**DOCUMENTED_PARAMS, "vnp_SecureHash": ""},
    {**DOCUMENTED_PARAMS, "vnp_SecureHash": DOCUMENTED_HASH[:-1]},
    {**DOCUMENTED_PARAMS, "vnp_SecureHash": "é" * 128},
])
def test_missing_or_malformed_hash_is_refused(params: dict[str, str]) -> None:
    assert not verify_secure_hash(params, SECRET)


def test_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signing.hmac, "compare_digest", spy)
    assert verify_secure_hash(sign_params(DOCUMENTED_PARAMS, SECRET), SECRET)
    assert calls == [(DOCUMENTED_HASH.encode(), DOCUMENTED_HASH.encode())]


@given(vnpay_params)
def test_our_signature_verifies_after_travelling_through_a_url(params: dict[str, str]) -> None:
    url = payment_url("https://sandbox.vnpayment.vn/paymentv2/vpcpay.html", params, SECRET)
    received = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    assert {key: value for key, value in received.items() if key != "vnp_SecureHash"} == params
    assert verify_secure_hash(received, SECRET)
    assert not verify_secure_hash(received, SECRET + "x")


@given(vnpay_params, st.data())
def test_tampering_with_any_field_fails(params: dict[str, str], data: st.DataObject) -> None:
    signed = sign_params(params, SECRET)
    key = data.draw(st.sampled_from(sorted(params)), label="key")
    new_value = data.draw(st.text(max_size=20).filter(lambda value: value != params[key]), label="new value")
    assert not verify_secure_hash({**signed, key: new_value}, SECRET)
    assert not verify_secure_hash({k: v for k, v in signed.items() if k != key}, SECRET)
    assert not verify_secure_hash({**signed, "vnp_Injected_1": "1"}, SECRET)  # no generated key has a second '_'


@pytest.mark.parametrize(("params", "error", "message"), [
    ({"vnp_OrderInfo": "Thanh toán lệ phí"}, ValueError, "vnp_OrderInfo .* printable ASCII"),
    ({"vnp_OrderInfo": "a~b"}, ValueError, "without '~' or '\\*'"),
    ({"vnp_OrderInfo": "a*b"}, ValueError, "without '~' or '\\*'"),
    ({"vnp_BankCode": ""}, ValueError, "vnp_BankCode is empty"),
    ({"amount": "1"}, ValueError, "'amount' is not a VNPAY request parameter"),
    ({"vnp_SecureHash": "00"}, ValueError, "'vnp_SecureHash' is not a VNPAY request parameter"),
    ({"vnp_Amount": 18060.0}, TypeError, "vnp_Amount must be str or int, not float"),
    ({"vnp_Amount": True}, TypeError, "vnp_Amount must be str or int, not bool"),
])
def test_signer_refuses_what_vnpay_would_sign_differently(params: dict[str, object], error: type[Exception],
                                                          message: str) -> None:
    with pytest.raises(error, match=message):
        sign_params({**DOCUMENTED_PARAMS, **params}, SECRET)  # type: ignore[dict-item]


def test_verifier_reads_what_vnpay_sends_even_outside_our_signing_rules() -> None:
    # A return URL carries VNPAY's bank name with diacritics, an empty card type, a '~'.
    callback = {"vnp_Amount": "1806000", "vnp_BankCode": "NCB", "vnp_CardType": "",
                "vnp_OrderInfo": "Thanh toán ~ đơn hàng", "vnp_ResponseCode": "00", "vnp_TxnRef": "5"}
    assert canonical_query(callback) == (
        "vnp_Amount=1806000&vnp_BankCode=NCB&vnp_CardType=&vnp_OrderInfo=Thanh+to%C3%A1n+~+%C4%91%C6%A1n+h%C3%A0ng"
        "&vnp_ResponseCode=00&vnp_TxnRef=5")
    signed = {**callback, "vnp_SecureHash": secure_hash(callback, SECRET)}
    assert verify_secure_hash(signed, SECRET)
