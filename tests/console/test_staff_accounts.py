"""Staff accounts and sessions on the real database: sign-in, throttling by account and by
address, session expiry and idling, disabling, and the audit of every change."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from gateway.console import sessions, staff_store
from gateway.console.audit import audit_page
from gateway.console.errors import EmailTaken, InvalidEmail, LoginRefused, LoginThrottled, SelfLockout
from gateway.console.passwords import verify_password
from gateway.console.roles import Role
from tests.console.staffing import PASSWORD, add_staff


async def test_a_created_account_signs_in_with_its_generated_password(conn) -> None:
    staff, password = await staff_store.create_staff(conn, "  Lan.Nguyen@KBNN.gov.vn ", Role.OFFICER, actor="cli:root")
    assert (staff.email, staff.role, staff.active) == ("lan.nguyen@kbnn.gov.vn", Role.OFFICER, True)
    stored = (await (await conn.execute("SELECT password_hash FROM gateway.staff")).fetchone())[0]
    assert password not in stored and verify_password(password, stored)
    signed_in, token = await sessions.sign_in(conn, "LAN.NGUYEN@kbnn.gov.vn", password, "10.0.0.1")
    assert signed_in == staff and await sessions.staff_of_session(conn, token) == staff
    # Only the token's hash is stored.
    assert (await (await conn.execute("SELECT count(*) FROM gateway.staff_sessions WHERE token_sha256 = %s",
                                      (token.encode(),))).fetchone())[0] == 0
    [entry] = await audit_page(conn)
    assert (entry.actor, entry.action, entry.target, entry.details) == (
        "cli:root", "staff_created", "staff:lan.nguyen@kbnn.gov.vn", {"role": "officer"})


async def test_emails_are_unique_and_must_look_like_emails(conn) -> None:
    await add_staff(conn, Role.AUDITOR, "a@kbnn.gov.vn")
    with pytest.raises(EmailTaken):
        await add_staff(conn, Role.OFFICER, "A@kbnn.gov.vn")
    with pytest.raises(InvalidEmail):
        await add_staff(conn, Role.OFFICER, "not an email")


async def test_a_wrong_password_an_unknown_account_and_a_disabled_one_are_refused_alike(conn) -> None:
    staff = await add_staff(conn, Role.AUDITOR)
    for email, password in ((staff.email, "wrong"), ("nobody@kbnn.gov.vn", PASSWORD), ("not an email", PASSWORD)):
        with pytest.raises(LoginRefused):
            await sessions.sign_in(conn, email, password, "10.0.0.2")
    await staff_store.disable_staff(conn, staff.id, actor="admin@kbnn.gov.vn", reason="left the treasury")
    with pytest.raises(LoginRefused):
        await sessions.sign_in(conn, staff.email, PASSWORD, "10.0.0.2")


async def test_an_account_is_throttled_after_five_failures_from_any_address(conn) -> None:
    staff = await add_staff(conn, Role.OFFICER)
    for attempt in range(sessions.ACCOUNT_FAILURES):
        with pytest.raises(LoginRefused):
            await sessions.sign_in(conn, staff.email, "guess", f"10.1.0.{attempt}")
    with pytest.raises(LoginThrottled) as throttled:
        await sessions.sign_in(conn, staff.email, PASSWORD, "10.9.9.9")  # even the right password waits
    assert 0 < throttled.value.retry_after_s <= sessions.THROTTLE_WINDOW.total_seconds() + 1
    await conn.execute("UPDATE gateway.staff_login_attempts SET at = at - %s", (sessions.THROTTLE_WINDOW,))
    assert (await sessions.sign_in(conn, staff.email, PASSWORD, "10.9.9.9"))[0] == staff


async def test_an_address_is_throttled_after_many_failures_over_any_accounts(conn) -> None:
    staff = await add_staff(conn, Role.OFFICER)
    await conn.execute("INSERT INTO gateway.staff_login_attempts (email, address, succeeded)"
                       " SELECT 'guess' || n || '@x.vn', '10.2.0.1', false FROM generate_series(1, %s) n",
                       (sessions.ADDRESS_FAILURES,))
    with pytest.raises(LoginThrottled):
        await sessions.sign_in(conn, staff.email, PASSWORD, "10.2.0.1")
    assert (await sessions.sign_in(conn, staff.email, PASSWORD, "10.2.0.2"))[0] == staff


async def test_sessions_end_at_their_lifetime_when_idle_on_logout_and_on_any_change(conn) -> None:
    staff = await add_staff(conn, Role.AUDITOR)
    expired, idle, ended, changed = [await sessions.open_session(conn, staff.id) for _ in range(4)]
    await conn.execute("UPDATE gateway.staff_sessions SET expires_at = now() WHERE token_sha256 = %s",
                       (sessions.token_hash(expired),))
    await conn.execute("UPDATE gateway.staff_sessions SET last_seen_at = now() - %s WHERE token_sha256 = %s",
                       (sessions.SESSION_IDLE, sessions.token_hash(idle)))
    await sessions.end_session(conn, ended)
    assert [await sessions.staff_of_session(conn, t) for t in (expired, idle, ended)] == [None, None, None]
    assert await sessions.staff_of_session(conn, changed) == staff
    await staff_store.change_role(conn, staff.id, Role.OFFICER, actor="admin@kbnn.gov.vn", reason="promoted")
    assert await sessions.staff_of_session(conn, changed) is None
    assert await sessions.staff_of_session(conn, "never issued") is None


async def test_an_admin_cannot_lock_themself_out(conn) -> None:
    admin = await add_staff(conn, Role.ADMIN)
    with pytest.raises(SelfLockout):
        await staff_store.disable_staff(conn, admin.id, actor=admin.email, reason="oops", acting_staff_id=admin.id)
    with pytest.raises(SelfLockout):
        await staff_store.change_role(conn, admin.id, Role.AUDITOR, actor=admin.email, reason="oops",
                                      acting_staff_id=admin.id)


async def test_a_reset_password_replaces_the_old_one(conn) -> None:
    staff = await add_staff(conn, Role.AUDITOR)
    _, password = await staff_store.reset_password(conn, staff.id, actor="admin@kbnn.gov.vn", reason="forgotten")
    with pytest.raises(LoginRefused):
        await sessions.sign_in(conn, staff.email, PASSWORD, "10.3.0.1")
    assert (await sessions.sign_in(conn, staff.email, password, "10.3.0.1"))[0].id == staff.id


async def test_the_audit_log_refuses_changes(conn) -> None:
    await add_staff(conn, Role.AUDITOR)
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
        await conn.execute("DELETE FROM gateway.staff_audit")


async def test_guesses_arriving_at_once_get_no_more_password_checks_than_the_limit(database_url, conn) -> None:
    staff = await add_staff(conn, Role.OFFICER)

    async def guess(n: int) -> str:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as own:
            try:
                await sessions.sign_in(own, staff.email, f"guess {n}", f"10.4.0.{n}")
            except LoginRefused:
                return "checked"
            except LoginThrottled:
                return "throttled"
        return "signed in"

    outcomes = await asyncio.gather(*(guess(n) for n in range(12)))
    assert outcomes.count("checked") <= sessions.ACCOUNT_FAILURES and "signed in" not in outcomes
    failures = (await (await conn.execute("SELECT count(*) FROM gateway.staff_login_attempts WHERE NOT succeeded"))
                .fetchone())[0]
    assert failures == outcomes.count("checked")
