"""Staff accounts for the console tests: one scrypt hash per session (hashing is deliberately
slow), stored through the same ``insert_staff`` that ``create_staff`` uses."""

from __future__ import annotations

import uuid
from functools import cache

from gateway.console.passwords import hash_password
from gateway.console.roles import Role
from gateway.console.staff_store import Staff, insert_staff

PASSWORD = "Mật khẩu đủ dài 2026"


@cache
def password_hash() -> str:
    return hash_password(PASSWORD)


async def add_staff(conn, role: Role, email: str | None = None) -> Staff:
    return await insert_staff(conn, email or f"{role}.{uuid.uuid4().hex[:8]}@kbnn.gov.vn", role, password_hash(),
                              actor="test", reason="test account")
