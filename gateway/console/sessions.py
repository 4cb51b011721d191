"""Signing in and staying signed in: a password checked against its scrypt hash, failed
attempts throttled per account and per client address, and sessions as random tokens of
which only the SHA-256 is stored, ending after a fixed lifetime or an idle spell.

Throttling counts failures in the database, so it holds across every gateway process: an
account takes ``ACCOUNT_FAILURES`` wrong passwords per window (then waits, whoever tries:
a guesser spreading over addresses still meets it), an address ``ADDRESS_FAILURES`` over
all accounts (a guesser spreading over accounts meets that one).
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import timedelta

from psycopg import AsyncConnection

from gateway.console.errors import InvalidEmail, LoginRefused, LoginThrottled
from gateway.console.passwords import UNKNOWN_ACCOUNT_HASH, verify_password
from gateway.console.staff_store import MAX_EMAIL_CHARS, Staff, get_staff, normalise_email, staff_rows
from gateway.console.statements import statement

SESSION_LIFETIME = timedelta(hours=8)  # a working day, then sign in again
SESSION_IDLE = timedelta(minutes=30)  # a console left open at lunch does not stay signed in
THROTTLE_WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 20
TOKEN_BYTES = 32


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def _refuse_if_throttled(conn: AsyncConnection, email: str, address: str, attempt_id: int) -> None:
    """Counts the failures recorded before ``attempt_id``, the ones still in flight included
    (an attempt is a failure until it succeeds): however many guesses arrive at once, no
    more than the limit get as far as a password check."""
    row = await (await conn.execute(statement("login_throttle"), {
        "email": email, "address": address, "window": THROTTLE_WINDOW, "attempt_id": attempt_id})).fetchone()
    by_email, by_address, email_free_in, address_free_in = row
    waits = [free_in for count, limit, free_in in ((by_email, ACCOUNT_FAILURES, email_free_in),
                                                    (by_address, ADDRESS_FAILURES, address_free_in))
             if count >= limit]
    if waits:
        # A refused attempt checked no password: it is not a failure, and must not push the
        # end of the wait further out. Raising rolls back the transaction that recorded it.
        raise LoginThrottled(max(1, int(max(waits).total_seconds()) + 1))


async def sign_in(conn: AsyncConnection, email: str, password: str, address: str) -> tuple[Staff, str]:
    """The account and a new session token; LoginThrottled before any password is checked
    when the account or the address failed too often; LoginRefused otherwise.

    ``conn`` in autocommit mode: the attempt is recorded (as a failure) and committed before
    the password is checked, so that concurrent attempts see it."""
    try:
        email = normalise_email(email)
    except InvalidEmail:  # no such account can exist, but the attempt still counts against the address
        email = email.strip().lower()[:MAX_EMAIL_CHARS]
    async with conn.transaction():
        # Attempts on one account or from one address are counted one after the other: an
        # identity id is taken before its row commits, so unserialised attempts arriving at
        # once could each miss the others and all get a password check. Account before
        # address, in every attempt, so that two attempts never wait for each other's lock.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('staff-login-email:' || %s, 0)),"
                           " pg_advisory_xact_lock(hashtextextended('staff-login-address:' || %s, 0))",
                           (email, address))
        attempt_id = (await (await conn.execute(
            "INSERT INTO gateway.staff_login_attempts (email, address, succeeded) VALUES (%s, %s, false) RETURNING id",
            (email, address))).fetchone())[0]
        await _refuse_if_throttled(conn, email, address, attempt_id)
    found = await (await conn.execute("SELECT id, password_hash FROM gateway.staff WHERE email = %s",
                                      (email,))).fetchone()
    matches = await asyncio.to_thread(verify_password, password, found[1] if found else UNKNOWN_ACCOUNT_HASH)
    staff = await get_staff(conn, found[0]) if found else None
    if not (matches and staff is not None and staff.active):
        raise LoginRefused("wrong email or password")
    await conn.execute("UPDATE gateway.staff_login_attempts SET succeeded = true WHERE id = %s", (attempt_id,))
    return staff, await open_session(conn, staff.id)


async def open_session(conn: AsyncConnection, staff_id: int) -> str:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    await conn.execute("INSERT INTO gateway.staff_sessions (token_sha256, staff_id, expires_at)"
                       " VALUES (%s, %s, now() + %s)", (token_hash(token), staff_id, SESSION_LIFETIME))
    return token


async def staff_of_session(conn: AsyncConnection, token: str) -> Staff | None:
    """The active staff member holding ``token``, noting that the session is in use; None
    for an unknown, expired or idle session or a disabled account."""
    async with conn.cursor(row_factory=staff_rows()) as cur:
        await cur.execute(statement("use_session"), {"token": token_hash(token), "idle": SESSION_IDLE})
        return await cur.fetchone()


async def end_session(conn: AsyncConnection, token: str) -> None:
    await conn.execute("DELETE FROM gateway.staff_sessions WHERE token_sha256 = %s", (token_hash(token),))
