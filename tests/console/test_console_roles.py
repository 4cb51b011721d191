"""Roles over HTTP: the auditor changes nothing (403 on every action), only admins manage
staff and only finance roles read the money, every route names its permission, and a
POST without its form token is refused."""

from __future__ import annotations

import re

from litestar.handlers import HTTPRouteHandler

from gateway.console.auth import PUBLIC
from gateway.console.routes import console_router
from gateway.console.roles import Role
from gateway.console.sessions import sign_in
from reconciliation.exceptions import list_exceptions
from tests.console.console_browser import console_app, post_form, reconcile_every_class_day
from tests.console.staffing import add_staff
from tests.reconciliation.golden_books import DAY

PATH_PARAMETER = re.compile(r"\{(\w+):\w+\}")


def console_routes(method: str) -> list[tuple[str, HTTPRouteHandler]]:
    router = console_router()
    return [(route.path, handler) for route in router.routes for handler in route.route_handlers
            if isinstance(handler, HTTPRouteHandler) and method in handler.http_methods]


def test_every_console_route_names_its_permission() -> None:
    handlers = console_routes("GET") + console_routes("POST")
    assert len(handlers) > 15
    assert [path for path, handler in handlers if "permission" not in handler.opt] == []
    assert sorted(path for path, handler in handlers if handler.opt["permission"] == PUBLIC) == [
        "/console/login", "/console/login", "/console/logout"]


async def test_an_auditor_is_refused_every_action_and_nothing_changes(database_url, conn, tmp_path) -> None:
    await reconcile_every_class_day(conn)
    open_before = await list_exceptions(conn, DAY)
    target = await add_staff(conn, Role.OFFICER)
    values = {"run_id": "1", "exception_id": str(open_before[0].id), "staff_id": str(target.id),
              "day": DAY.isoformat()}
    actions = [(PATH_PARAMETER.sub(lambda m: values[m[1]], path), handler) for path, handler in console_routes("POST")
               if handler.opt["permission"] != PUBLIC]
    assert len(actions) == 7
    fields = {"action": "write_off", "reason": "auditor tries", "create-email": "new@kbnn.gov.vn",
              "create-role": "admin", "role-role": "admin", "role-reason": "x", "password-reason": "x",
              "disable-reason": "x"}
    async with console_app(database_url, conn, tmp_path) as console, console.signed_in(Role.AUDITOR) as (browser, _):
        for path, _ in actions:
            answer = await post_form(browser, path, fields, token_from="/console/runs")
            assert answer.status_code == 403, path
            assert "Bạn không có quyền xem trang này" in answer.text
    assert await list_exceptions(conn, DAY) == open_before
    assert (await (await conn.execute("SELECT count(*) FROM gateway.staff")).fetchone())[0] == 2
    assert (await (await conn.execute("SELECT count(*) FROM recon.closed_days")).fetchone())[0] == 0


async def test_staff_pages_are_for_admins_and_money_pages_for_finance(database_url, conn, tmp_path) -> None:
    async with console_app(database_url, conn, tmp_path) as console:
        for role in (Role.OFFICER, Role.AUDITOR):
            async with console.signed_in(role) as (browser, _):
                assert (await browser.get("/console/staff")).status_code == 403
                assert (await browser.get("/console/runs")).status_code == 200
                assert (await browser.get("/console/audit")).status_code == 200
        async with console.signed_in(Role.ADMIN) as (browser, _):
            for path in ("/console/runs", "/console/exceptions", "/console/remittances", "/console/ledger"):
                assert (await browser.get(path)).status_code == 403, path
            assert (await browser.get("/console/audit")).status_code == 200
            front = await browser.get("/console")
            assert front.status_code == 303 and front.headers["location"] == "/console/staff"


async def test_an_admin_creates_resets_and_disables_an_account(database_url, conn, tmp_path) -> None:
    async with console_app(database_url, conn, tmp_path) as console, console.signed_in(Role.ADMIN) as (browser, admin):
        created = await post_form(browser, "/console/staff", {"create-email": "Hoa.Le@kbnn.gov.vn",
                                                              "create-role": "officer"}, token_from="/console/staff")
        assert created.status_code == 200 and "hoa.le@kbnn.gov.vn" in created.text
        password = re.search(r"<code>([^<]+)</code>", created.text)[1]
        officer, _ = await sign_in(conn, "hoa.le@kbnn.gov.vn", password, "10.0.0.9")
        taken = await post_form(browser, "/console/staff", {"create-email": "hoa.le@kbnn.gov.vn",
                                                            "create-role": "auditor"}, token_from="/console/staff")
        assert taken.status_code == 409 and "Đã có tài khoản với email này" in taken.text

        page = f"/console/staff/{officer.id}"
        no_reason = await post_form(browser, f"{page}/role", {"role-role": "auditor"}, token_from=page)
        assert no_reason.status_code == 400 and 'href="#role-reason"' in no_reason.text
        assert (await post_form(browser, f"{page}/role", {"role-role": "auditor", "role-reason": "moved to audit"},
                                token_from=page)).status_code == 303
        reset = await post_form(browser, f"{page}/password", {"password-reason": "forgotten"}, token_from=page)
        new_password = re.search(r"<code>([^<]+)</code>", reset.text)[1]
        assert new_password != password
        assert (await sign_in(conn, officer.email, new_password, "10.0.0.9"))[0].role == "auditor"
        disabled = await post_form(browser, f"{page}/disable", {"disable-reason": "left"}, token_from=page)
        assert disabled.status_code == 303
        own = f"/console/staff/{admin.id}"
        lockout = await post_form(browser, f"{own}/disable", {"disable-reason": "oops"}, token_from=own)
        assert lockout.status_code == 409
        audit = (await browser.get("/console/audit")).text
    for words in ("Tạo tài khoản", "Đổi vai trò", "Cấp lại mật khẩu", "Khoá tài khoản", "moved to audit",
                  admin.email):
        assert words in audit
    assert password not in audit and new_password not in audit


async def test_a_post_without_its_form_token_is_refused(database_url, conn, tmp_path) -> None:
    await reconcile_every_class_day(conn)
    [first, *_] = await list_exceptions(conn, DAY)
    async with console_app(database_url, conn, tmp_path) as console, console.signed_in(Role.OFFICER) as (browser, _):
        await browser.get("/console/runs")  # the browser holds its CSRF cookie
        forged = await browser.post(f"/console/exceptions/{first.id}/resolve",
                                    data={"action": "refund", "reason": "forged", "csrf_token": "guess"})
        assert forged.status_code == 403
    assert (await list_exceptions(conn, DAY))[0].status == "open"
