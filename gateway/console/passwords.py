"""Staff passwords: salted scrypt (stdlib), compared in constant time, and generated
passwords for new accounts.

Parameters: N=2^14, r=8, p=5 is one of OWASP's equivalent minimums for scrypt (the same
work as N=2^17, p=1) with 16 MiB of memory per hash instead of 128 MiB, so concurrent
logins cannot exhaust a worker's memory. Each hash records its parameters, so they can be
raised later without invalidating stored passwords.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

LOG2_N, BLOCK_SIZE, PARALLELISM = 14, 8, 5
SALT_BYTES, HASH_BYTES = 16, 32
MAX_MEMORY_BYTES = 64 * 1024 * 1024  # above what any parameters we accept need
MAX_PASSWORD_CHARS = 256  # longer input is refused before hashing: scrypt's cost is per byte too
GENERATED_PASSWORD_BYTES = 18  # 144 random bits, 24 URL-safe characters


def _scrypt(password: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=2 ** log2_n, r=r, p=p, dklen=HASH_BYTES,
                          maxmem=MAX_MEMORY_BYTES)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def hash_password(password: str) -> str:
    """``scrypt$<log2 n>$<r>$<p>$<salt>$<hash>`` with a fresh random salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, LOG2_N, BLOCK_SIZE, PARALLELISM)
    return f"scrypt${LOG2_N}${BLOCK_SIZE}${PARALLELISM}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made from; False for any malformed hash."""
    if len(password) > MAX_PASSWORD_CHARS:
        return False
    try:
        scheme, log2_n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest, validate=True)
        computed = _scrypt(password, base64.b64decode(salt, validate=True), int(log2_n), int(r), int(p))
    except (ValueError, OverflowError):  # not our format, or parameters scrypt refuses
        return False
    return hmac.compare_digest(computed, expected)


# Verified against when the email is unknown, so that a login for a non-existent account
# costs the same time as a wrong password (no account enumeration by timing).
UNKNOWN_ACCOUNT_HASH = ("scrypt$14$8$5$" + _b64(bytes(SALT_BYTES)) + "$" + _b64(bytes(HASH_BYTES)))


def new_password() -> str:
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
