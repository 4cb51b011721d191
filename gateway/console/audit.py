"""The console's audit log: who did what, when and why, append-only (a trigger refuses
changes). Read together with reconciliation's own trail of exception resolutions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from psycopg import AsyncConnection
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from gateway.console.statements import statement


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    source: str  # "console" or "reconciliation" (recon.exception_events)
    id: int
    actor: str
    action: str
    target: str
    reason: str
    details: dict[str, Any]
    at: datetime


RECORD_ACTION = ("INSERT INTO gateway.staff_audit (actor, action, target, reason, details)"
                 " VALUES (%(actor)s, %(action)s, %(target)s, %(reason)s, %(details)s)")


async def record_action(conn: AsyncConnection, *, actor: str, action: str, target: str, reason: str,
                        details: dict[str, Any] | None = None) -> None:
    """Call in the transaction of the change it records, so the two commit together."""
    await conn.execute(RECORD_ACTION, {"actor": actor, "action": action, "target": target, "reason": reason,
                                       "details": Jsonb(details or {})})


async def audit_page(conn: AsyncConnection, *, before: datetime | None = None, limit: int = 50) -> list[AuditEntry]:
    """The newest ``limit`` entries of both trails older than ``before``."""
    async with conn.cursor(row_factory=class_row(AuditEntry)) as cur:
        await cur.execute(statement("audit_page"), {"before": before, "limit": limit})
        return await cur.fetchall()
