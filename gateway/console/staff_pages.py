"""Staff accounts, for admins: list, create (the generated password is shown once), and on
an account's page change its role, reset its password or disable it. Each change is
audited with the admin's reason."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from psycopg import AsyncConnection

from gateway.api.dependencies import Connection
from gateway.console import staff_store
from gateway.console.auth import current_staff, needs
from gateway.console.errors import ConsoleError, StaffNotFound
from gateway.console.page import console_page, form_field
from gateway.console.roles import Permission, Role
from gateway.web.form_errors import FieldError
from gateway.web.templating import page_translator

MANAGE = needs(Permission.MANAGE_STAFF)
ROLES = [role.value for role in Role]


async def _fields(request: Request, form: str, *names: str) -> tuple[list[FieldError], list[str]]:
    """The form's fields, and an error for each one left empty (or, for a role, not one).
    Inputs are named ``<form>-<name>``: a page has several forms, and ids must be unique."""
    t = page_translator(request)
    values = [await form_field(request, f"{form}-{name}") for name in names]
    return [FieldError(f"{form}-{name}", t(f"console.staff.missing.{name}")) for name, value in zip(names, values)
            if not value or (name == "role" and value not in ROLES)], values


def _refusal(request: Request, field: str, error: ConsoleError) -> FieldError:
    return FieldError(field, page_translator(request)(f"console.staff.refused.{error.code}"))


async def _list_page(request: Request, conn: AsyncConnection, *, errors: list[FieldError] = (), email: str = "",
                     role: str = "", status_code: int = 200, shown_password: tuple[str, str] | None = None) -> Template:
    return console_page(request, "console/staff.html", status_code=status_code, roles=ROLES, errors=list(errors),
                        accounts=await staff_store.list_staff(conn), email=email, role=role,
                        shown_password=shown_password)


@get("/staff", opt=MANAGE)
async def staff_list(request: Request, conn: Connection) -> Template:
    return await _list_page(request, conn)


@post("/staff", opt=MANAGE)
async def create(request: Request, conn: Connection) -> Template:
    errors, (email, role) = await _fields(request, "create", "email", "role")
    if errors:
        return await _list_page(request, conn, errors=errors, email=email, role=role, status_code=400)
    try:
        staff, password = await staff_store.create_staff(conn, email, Role(role), actor=current_staff(request).email)
    except ConsoleError as refused:
        return await _list_page(request, conn, errors=[_refusal(request, "create-email", refused)], email=email,
                                role=role, status_code=409)
    return await _list_page(request, conn, shown_password=(staff.email, password))


async def _account_page(request: Request, conn: AsyncConnection, staff_id: int, *, errors: list[FieldError] = (),
                        status_code: int = 200, shown_password: str | None = None) -> Template:
    try:
        account = await staff_store.get_staff(conn, staff_id)
    except StaffNotFound:
        raise NotFoundException() from None
    return console_page(request, "console/staff_account.html", status_code=status_code, account=account,
                        roles=ROLES, errors=list(errors), shown_password=shown_password)


@get("/staff/{staff_id:int}", opt=MANAGE)
async def account(request: Request, conn: Connection, staff_id: FromPath[int]) -> Template:
    return await _account_page(request, conn, staff_id)


async def _change(request: Request, conn: AsyncConnection, staff_id: int, form: str, *names: str,
                  change) -> Template | Redirect:
    """Read ``names`` and a reason from the form ``form``; apply ``change`` (which takes the
    fields, then the actor and reason); back to the account's page."""
    errors, values = await _fields(request, form, *names, "reason")
    if errors:
        return await _account_page(request, conn, staff_id, errors=errors, status_code=400)
    try:
        result = await change(*values[:-1], actor=current_staff(request).email, reason=values[-1])
    except StaffNotFound:
        raise NotFoundException() from None
    except ConsoleError as refused:
        return await _account_page(request, conn, staff_id, status_code=409,
                                   errors=[_refusal(request, f"{form}-reason", refused)])
    if isinstance(result, tuple):  # a reset password: shown this once, never stored
        return await _account_page(request, conn, staff_id, shown_password=result[1])
    return Redirect(f"/console/staff/{staff_id}", status_code=303)


@post("/staff/{staff_id:int}/role", opt=MANAGE)
async def change_role(request: Request, conn: Connection, staff_id: FromPath[int]) -> Template | Redirect:
    acting_id = current_staff(request).id
    return await _change(request, conn, staff_id, "role", "role", change=lambda role, **audit: staff_store.change_role(
        conn, staff_id, Role(role), acting_staff_id=acting_id, **audit))


@post("/staff/{staff_id:int}/password", opt=MANAGE)
async def reset_password(request: Request, conn: Connection, staff_id: FromPath[int]) -> Template | Redirect:
    return await _change(request, conn, staff_id, "password", change=lambda **audit: staff_store.reset_password(
        conn, staff_id, **audit))


@post("/staff/{staff_id:int}/disable", opt=MANAGE)
async def disable(request: Request, conn: Connection, staff_id: FromPath[int]) -> Template | Redirect:
    acting_id = current_staff(request).id
    return await _change(request, conn, staff_id, "disable", change=lambda **audit: staff_store.disable_staff(
        conn, staff_id, acting_staff_id=acting_id, **audit))


HANDLERS = [staff_list, create, account, change_role, reset_password, disable]
