"""API keys: an agency's secret, in test or live mode."""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime

import msgspec

from gateway.identifiers import random_base62

SECRET_RANDOM_LENGTH = 32  # ~190 bits
DISPLAY_RANDOM_LENGTH = 4  # enough to tell an agency's few keys apart, useless to guess the rest


class Mode(enum.StrEnum):
    TEST = "test"
    LIVE = "live"


class Scope(msgspec.Struct, frozen=True, kw_only=True):
    """Whose objects a request may see and change: one agency's, in one mode. Test and live
    objects never mix, and no agency sees another's."""

    agency_code: str
    livemode: bool


class ApiKey(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    agency_code: str
    mode: Mode
    display_prefix: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def scope(self) -> Scope:
        return Scope(agency_code=self.agency_code, livemode=self.mode == Mode.LIVE)


def new_secret(mode: Mode) -> str:
    return f"sk_{mode}_{random_base62(SECRET_RANDOM_LENGTH)}"


def secret_hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def display_prefix(secret: str) -> str:
    mode_prefix_length = len("sk_test_")  # "sk_live_" has the same length
    return secret[: mode_prefix_length + DISPLAY_RANDOM_LENGTH]
