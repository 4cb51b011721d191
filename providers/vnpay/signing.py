"""VNPAY 2.1.0 secure hashes: signing the payment URL, verifying IPN and return URLs.

The signed string is the ``vnp_*`` parameters, ``vnp_SecureHash`` and
``vnp_SecureHashType`` left out, sorted by key, each key and value URL-encoded as
VNPAY's reference code does (``quote_plus``: a space is ``+``, ``:`` is ``%3A``), joined
as ``key=value&…``. ``vnp_SecureHash`` is the HMAC-SHA512 of that string under the
merchant's hash secret, in hex. The same string, with ``&vnp_SecureHash=…`` appended,
is the payment URL's query, so what VNPAY receives is exactly what was signed.

VNPAY's reference implementations (PHP ``urlencode``, Java ``URLEncoder``, Python
``quote_plus``) agree on letters, digits, ``-_.`` and spaces, and disagree on ``~`` and
``*`` and on non-ASCII text (the Java one encodes as US-ASCII). VNPAY's own rule is
Vietnamese without diacritics and no special characters, so :func:`sign_params` refuses
values that the implementations would sign differently rather than let VNPAY answer
"invalid signature" (code 97) at the citizen's checkout. Empty values are refused too:
some reference implementations sign ``key=`` and others skip the key; leave the
parameter out instead. :func:`verify_secure_hash` accepts whatever VNPAY sends.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from urllib.parse import quote_plus

PREFIX = "vnp_"
SECURE_HASH = "vnp_SecureHash"
UNSIGNED = frozenset({SECURE_HASH, "vnp_SecureHashType"})

ParamValue = str | int
_PORTABLE = re.compile(r"[\x20-\x7e]*")  # printable ASCII ...
_NOT_PORTABLE = re.compile(r"[~*]")  # ... except what the reference encoders disagree on


def canonical_query(params: Mapping[str, ParamValue]) -> str:
    """The string VNPAY signs: ``vnp_*`` parameters but the hash ones, sorted, encoded.

    Parameters that do not start with ``vnp_`` are not VNPAY's (our return URL may carry
    its own) and take no part in the signature.
    """
    return "&".join(f"{quote_plus(key)}={quote_plus(_text(key, params[key]))}"
                    for key in sorted(params) if key.startswith(PREFIX) and key not in UNSIGNED)


def secure_hash(params: Mapping[str, ParamValue], hash_secret: str) -> str:
    """HMAC-SHA512 of :func:`canonical_query`, lowercase hex (128 characters)."""
    return hmac.new(hash_secret.encode(), canonical_query(params).encode(), hashlib.sha512).hexdigest()


def sign_params(params: Mapping[str, ParamValue], hash_secret: str) -> dict[str, str]:
    """The parameters of a request to VNPAY with ``vnp_SecureHash`` added.

    Refuses keys outside ``vnp_*``, empty values, and values VNPAY's implementations
    would encode differently (non-ASCII, ``~``, ``*``), naming the parameter.
    """
    for key, value in params.items():
        if not key.startswith(PREFIX) or key in UNSIGNED:
            raise ValueError(f"{key!r} is not a VNPAY request parameter to sign")
        text = _text(key, value)
        if not text:
            raise ValueError(f"{key} is empty: leave it out instead")
        if not _PORTABLE.fullmatch(text) or _NOT_PORTABLE.search(text):
            raise ValueError(f"{key} = {text!r}: only printable ASCII without '~' or '*' signs the same"
                             " in every VNPAY implementation (write Vietnamese without diacritics)")
    signed = {key: _text(key, value) for key, value in params.items()}
    signed[SECURE_HASH] = secure_hash(params, hash_secret)
    return signed


def payment_url(base_url: str, params: Mapping[str, ParamValue], hash_secret: str) -> str:
    """``base_url?<canonical query>&vnp_SecureHash=<hash>``, the URL to redirect the payer to."""
    signed = sign_params(params, hash_secret)
    return f"{base_url}?{canonical_query(signed)}&{SECURE_HASH}={signed[SECURE_HASH]}"


def verify_secure_hash(params: Mapping[str, ParamValue], hash_secret: str) -> bool:
    """Whether a callback's (IPN or return URL) ``vnp_SecureHash`` is VNPAY's.

    The comparison takes the same time wherever the first difference is, so an attacker
    cannot learn the hash byte by byte; upper- and lowercase hex are both accepted.
    """
    provided = params.get(SECURE_HASH)
    if not isinstance(provided, str) or not provided:
        return False
    expected = secure_hash(params, hash_secret)
    return hmac.compare_digest(provided.lower().encode(), expected.encode())


def _text(key: str, value: ParamValue) -> str:
    # bool is an int, and a float amount is a bug waiting to round: refuse both.
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"{key} must be str or int, not {type(value).__name__}")
    return str(value)
