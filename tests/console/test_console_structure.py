"""Every console page a finance officer, an auditor or an admin reads is well built: one h1,
the page's language, a label for every input, unique ids, and error-summary links that
land on a field."""

from __future__ import annotations

from lxml import html

from gateway.console.roles import Role
from reconciliation.exceptions import list_exceptions
from tests.console.console_browser import console_app, post_form, reconcile_every_class_day
from tests.console.staffing import add_staff
from tests.reconciliation.golden_books import DAY


def check_structure(page: str, path: str) -> None:
    document = html.fromstring(page)
    assert document.get("lang") in ("vi", "en"), path
    assert len(document.findall(".//h1")) == 1, path
    ids = [element.get("id") for element in document.iter() if element.get("id")]
    assert len(ids) == len(set(ids)), f"{path}: duplicate ids"
    labelled = {label.get("for") for label in document.iter("label")}
    for field in document.iter("input", "select", "textarea"):
        if field.get("type") != "hidden":
            assert field.get("id") in labelled, f"{path}: {field.get('name')} has no label"
    for link in document.xpath("//*[contains(@class, 'error-summary')]//a"):
        assert link.get("href")[1:] in ids, f"{path}: {link.get('href')} leads nowhere"


async def test_every_page_is_well_built(database_url, conn, tmp_path) -> None:
    run = await reconcile_every_class_day(conn)
    exception = (await list_exceptions(conn, DAY))[0]
    async with console_app(database_url, conn, tmp_path) as console:
        async with console.browser() as stranger:
            check_structure((await stranger.get("/console/login")).text, "/console/login")
            refused = await post_form(stranger, "/console/login", {"email": "x@y.vn", "password": "z"})
            check_structure(refused.text, "refused login")
        async with console.signed_in(Role.OFFICER) as (officer, _):
            for path in ("/console/runs", f"/console/runs?day={DAY.isoformat()}", f"/console/runs/{run.id}",
                         "/console/exceptions", "/console/exceptions?status=all", f"/console/exceptions/{exception.id}",
                         "/console/remittances", f"/console/remittances/{DAY.isoformat()}", "/console/ledger",
                         "/console/ledger/statement?account=suspense", "/console/audit"):
                answer = await officer.get(path)
                assert answer.status_code == 200, path
                check_structure(answer.text, path)
            no_reason = await post_form(officer, f"/console/exceptions/{exception.id}/resolve", {},
                                        token_from="/console/runs")
            check_structure(no_reason.text, "resolve without reason")
        officer_account = await add_staff(conn, Role.OFFICER)
        async with console.signed_in(Role.ADMIN) as (admin, _):
            check_structure((await admin.get("/console/staff")).text, "/console/staff")
            check_structure((await admin.get(f"/console/staff/{officer_account.id}")).text, "staff account")
            no_reason = await post_form(admin, f"/console/staff/{officer_account.id}/role", {"role-role": "admin"},
                                        token_from="/console/staff")
            check_structure(no_reason.text, "role change without reason")
            wrong = await post_form(admin, "/console/staff", {}, token_from="/console/staff")
            check_structure(wrong.text, "create without fields")
            check_structure((await admin.get("/console/runs")).text, "forbidden page")
