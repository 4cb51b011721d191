"""Who may do what in the console: one role per staff account, permissions by role.

Separation of duties: the officer acts on the money, the auditor only reads it, and the
admin manages accounts without reading or moving money. Everyone reads the audit log, so
that each role can see what the others did.
"""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    OFFICER = "officer"  # finance officer: resolves exceptions, closes days
    AUDITOR = "auditor"  # reads everything finance, changes nothing
    ADMIN = "admin"  # manages staff accounts


class Permission(enum.StrEnum):
    READ_FINANCE = "read_finance"  # runs, exceptions, remittances, ledger, reports
    ACT_FINANCE = "act_finance"  # resolve exceptions, close days
    MANAGE_STAFF = "manage_staff"  # create, disable, change role, reset password
    READ_AUDIT = "read_audit"


PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OFFICER: frozenset({Permission.READ_FINANCE, Permission.ACT_FINANCE, Permission.READ_AUDIT}),
    Role.AUDITOR: frozenset({Permission.READ_FINANCE, Permission.READ_AUDIT}),
    Role.ADMIN: frozenset({Permission.MANAGE_STAFF, Permission.READ_AUDIT}),
}
assert set(PERMISSIONS) == set(Role), "every role has its permissions"


def allows(role: Role, permission: Permission) -> bool:
    return permission in PERMISSIONS[role]


def home_page(role: Role) -> str:
    """Where a role lands after signing in: the first page it may read."""
    return "/console/staff" if role is Role.ADMIN else "/console/runs"
