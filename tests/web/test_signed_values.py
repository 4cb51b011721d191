"""Values a browser carries signed: readable back only unchanged, and only for their purpose."""

from __future__ import annotations

from pathlib import Path

from gateway.web.signed_values import seal, unseal
from gateway.web.signing_key import signing_key

KEY = b"k" * 32


def test_a_sealed_value_comes_back_only_unchanged_and_for_its_purpose() -> None:
    sealed = seal(KEY, "payments", [["BCA", "pi_1"]])
    assert unseal(KEY, "payments", sealed, list[tuple[str, str]]) == [("BCA", "pi_1")]
    payload, mac = sealed.split(".")
    forged = seal(KEY, "payments", [["BCA", "pi_2"]]).split(".")[0] + "." + mac
    assert unseal(KEY, "payments", forged, list[tuple[str, str]]) is None
    assert unseal(KEY, "csrf", sealed, list[tuple[str, str]]) is None
    assert unseal(b"x" * 32, "payments", sealed, list[tuple[str, str]]) is None
    for junk in (None, "", "a.b.c", "!!.??", payload):
        assert unseal(KEY, "payments", junk, list[tuple[str, str]]) is None


def test_processes_sharing_a_home_share_the_generated_key(tmp_path: Path) -> None:
    first = signing_key(None, str(tmp_path))
    signing_key.cache_clear()
    assert signing_key(None, str(tmp_path)) == first
    assert (tmp_path / "web_secret").stat().st_mode & 0o077 == 0
    assert signing_key("configured", str(tmp_path)) != first
