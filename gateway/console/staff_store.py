"""Staff accounts in ``gateway.staff``: created with a generated password, listed, given
another role, disabled, their password reset. Every change is audited in its transaction."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime

import msgspec
from psycopg import AsyncConnection, errors
from psycopg.rows import kwargs_row

from gateway.console.audit import record_action
from gateway.console.errors import EmailTaken, InvalidEmail, SelfLockout, StaffNotFound
from gateway.console.passwords import hash_password, new_password
from gateway.console.roles import Role

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
MAX_EMAIL_CHARS = 254
COLUMNS = "id, email, role, created_at, disabled_at"


class Staff(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    email: str
    role: Role
    created_at: datetime
    disabled_at: datetime | None

    @property
    def active(self) -> bool:
        return self.disabled_at is None


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively; refuse what cannot be one."""
    email = email.strip().lower()
    if len(email) > MAX_EMAIL_CHARS or not EMAIL.match(email):
        raise InvalidEmail(f"not an email address: {email!r}")
    return email


def staff_rows():
    return kwargs_row(lambda **row: msgspec.convert(row, Staff))


async def insert_staff(conn: AsyncConnection, email: str, role: Role, password_hash: str, *, actor: str,
                       reason: str) -> Staff:
    """Add an account whose password is already hashed."""
    email = normalise_email(email)
    async with conn.transaction(), conn.cursor(row_factory=staff_rows()) as cur:
        try:
            await cur.execute(f"INSERT INTO gateway.staff (email, role, password_hash) VALUES (%s, %s, %s)"
                              f" RETURNING {COLUMNS}", (email, role.value, password_hash))
        except errors.UniqueViolation:
            raise EmailTaken(f"a staff account for {email} exists already") from None
        staff = await cur.fetchone()
        await record_action(conn, actor=actor, action="staff_created", target=f"staff:{email}", reason=reason,
                            details={"role": role.value})
    return staff


async def create_staff(conn: AsyncConnection, email: str, role: Role, *, actor: str,
                       reason: str = "new account") -> tuple[Staff, str]:
    """Add an account with a generated password; return it with the password, which is
    shown this once and never stored."""
    password = new_password()
    # scrypt takes a few hundred milliseconds of CPU: off the event loop.
    staff = await insert_staff(conn, email, role, await asyncio.to_thread(hash_password, password), actor=actor,
                               reason=reason)
    return staff, password


async def list_staff(conn: AsyncConnection) -> list[Staff]:
    async with conn.cursor(row_factory=staff_rows()) as cur:
        await cur.execute(f"SELECT {COLUMNS} FROM gateway.staff ORDER BY email")
        return await cur.fetchall()


async def get_staff(conn: AsyncConnection, staff_id: int) -> Staff:
    async with conn.cursor(row_factory=staff_rows()) as cur:
        staff = await (await cur.execute(f"SELECT {COLUMNS} FROM gateway.staff WHERE id = %s", (staff_id,))).fetchone()
    if staff is None:
        raise StaffNotFound(f"no staff account {staff_id}")
    return staff


async def find_staff_by_email(conn: AsyncConnection, email: str) -> Staff:
    async with conn.cursor(row_factory=staff_rows()) as cur:
        await cur.execute(f"SELECT {COLUMNS} FROM gateway.staff WHERE email = %s", (normalise_email(email),))
        staff = await cur.fetchone()
    if staff is None:
        raise StaffNotFound(f"no staff account for {email}")
    return staff


async def _change(conn: AsyncConnection, staff_id: int, assignment: str, params: tuple, *, actor: str,
                  action: str, reason: str, details: dict | None = None) -> Staff:
    async with conn.transaction(), conn.cursor(row_factory=staff_rows()) as cur:
        await cur.execute(f"UPDATE gateway.staff SET {assignment} WHERE id = %s RETURNING {COLUMNS}",
                          (*params, staff_id))
        staff = await cur.fetchone()
        if staff is None:
            raise StaffNotFound(f"no staff account {staff_id}")
        # A changed account's sessions end: its old rights must not outlive the change.
        await conn.execute("DELETE FROM gateway.staff_sessions WHERE staff_id = %s", (staff_id,))
        await record_action(conn, actor=actor, action=action, target=f"staff:{staff.email}", reason=reason,
                            details=details)
    return staff


async def disable_staff(conn: AsyncConnection, staff_id: int, *, actor: str, reason: str,
                        acting_staff_id: int | None = None) -> Staff:
    """Disable an account and end its sessions; disabling twice keeps the first time."""
    if staff_id == acting_staff_id:
        raise SelfLockout("you cannot disable your own account")
    return await _change(conn, staff_id, "disabled_at = coalesce(disabled_at, now())", (), actor=actor,
                         action="staff_disabled", reason=reason)


async def change_role(conn: AsyncConnection, staff_id: int, role: Role, *, actor: str, reason: str,
                      acting_staff_id: int | None = None) -> Staff:
    if staff_id == acting_staff_id:
        raise SelfLockout("you cannot change your own role")
    return await _change(conn, staff_id, "role = %s", (role.value,), actor=actor, action="staff_role_changed",
                         reason=reason, details={"role": role.value})


async def reset_password(conn: AsyncConnection, staff_id: int, *, actor: str, reason: str) -> tuple[Staff, str]:
    """A new generated password (shown once); the account's sessions end."""
    password = new_password()
    hashed = await asyncio.to_thread(hash_password, password)
    staff = await _change(conn, staff_id, "password_hash = %s", (hashed,), actor=actor, action="staff_password_reset",
                          reason=reason)
    return staff, password
