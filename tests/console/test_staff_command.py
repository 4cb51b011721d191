"""`publicpay staff create | list | disable` against a migrated database."""

from __future__ import annotations

import subprocess
import sys

from gateway.console.sessions import sign_in
from tests.conftest import publicpay_environ


def publicpay(*args: str, database_url: str) -> subprocess.CompletedProcess:
    environ = publicpay_environ()
    return subprocess.run([sys.executable, "-m", "gateway", "staff", *args], capture_output=True, text=True,
                          timeout=60, env=environ | {"PUBLICPAY_DATABASE_URL": database_url, "COLUMNS": "200"})


async def test_create_prints_a_password_that_signs_in_then_list_and_disable(database_url, conn) -> None:
    created = publicpay("create", "--email", "Minh.Tran@kbnn.gov.vn", "--role", "auditor", database_url=database_url)
    assert created.returncode == 0, created.stdout + created.stderr
    password = created.stdout.strip().splitlines()[-1]
    staff, _ = await sign_in(conn, "minh.tran@kbnn.gov.vn", password, "127.0.0.1")
    assert staff.role == "auditor"

    listed = publicpay("list", database_url=database_url)
    assert "minh.tran@kbnn.gov.vn" in listed.stdout and "auditor" in listed.stdout and password not in listed.stdout

    disabled = publicpay("disable", "--email", "minh.tran@kbnn.gov.vn", database_url=database_url)
    assert disabled.returncode == 0, disabled.stdout
    actions = [row[0] for row in await (await conn.execute(
        "SELECT action FROM gateway.staff_audit WHERE actor LIKE 'cli:%%' ORDER BY id")).fetchall()]
    assert actions == ["staff_created", "staff_disabled"]


def test_refusals_exit_with_a_message(database_url) -> None:
    bad_role = publicpay("create", "--email", "a@kbnn.gov.vn", "--role", "king", database_url=database_url)
    assert bad_role.returncode == 2
    bad_email = publicpay("create", "--email", "nope", "--role", "officer", database_url=database_url)
    assert bad_email.returncode == 1 and "invalid_email" in bad_email.stdout
    unknown = publicpay("disable", "--email", "ghost@kbnn.gov.vn", database_url=database_url)
    assert unknown.returncode == 1 and "staff_not_found" in unknown.stdout
