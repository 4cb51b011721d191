"""Staff passwords: salted scrypt, parameters carried in the hash, refusals never raise."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from gateway.console.passwords import UNKNOWN_ACCOUNT_HASH, hash_password, new_password, verify_password

HASHED = hash_password("correct horse battery staple")


def test_the_right_password_verifies_and_others_do_not() -> None:
    assert verify_password("correct horse battery staple", HASHED)
    assert not verify_password("correct horse battery stapl", HASHED)
    assert not verify_password("", HASHED)


def test_each_hash_has_its_own_salt_and_its_parameters() -> None:
    again = hash_password("correct horse battery staple")
    assert again != HASHED and again.split("$")[:4] == HASHED.split("$")[:4] == ["scrypt", "14", "8", "5"]


def test_no_password_verifies_against_the_unknown_account_hash() -> None:
    assert not verify_password("", UNKNOWN_ACCOUNT_HASH)
    assert not verify_password(new_password(), UNKNOWN_ACCOUNT_HASH)


@settings(max_examples=30)
@given(st.text(max_size=80))
def test_a_malformed_stored_hash_refuses_without_raising(stored: str) -> None:
    assert not verify_password("secret", stored)


def test_an_overlong_password_is_refused_before_hashing() -> None:
    assert not verify_password("x" * 10_000, HASHED)


def test_generated_passwords_are_long_and_distinct() -> None:
    passwords = {new_password() for _ in range(100)}
    assert len(passwords) == 100 and all(len(p) >= 24 for p in passwords)
