"""Probes for the operator's load balancer and orchestrator."""

from __future__ import annotations

from litestar import Response, get
from litestar.datastructures import State

from gateway.migrations import SELECT_APPLIED, MigrationError, unapplied

READINESS_TIMEOUT_S = 2.0


@get("/healthz", summary="The process is up", include_in_schema=True)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", summary="The database answers and its schema is the code's")
async def readyz(state: State) -> Response:
    try:
        async with state.pool.connection(timeout=READINESS_TIMEOUT_S) as conn:
            rows = await (await conn.execute(SELECT_APPLIED)).fetchall()
        pending = unapplied(rows, state.migrations)
    except MigrationError as exc:
        return _not_ready(str(exc))
    except Exception as exc:  # any failure to reach the database means: not ready
        return _not_ready(f"database unreachable: {type(exc).__name__}")
    if pending:
        return _not_ready("migrations pending: " + ", ".join(m.label for m in pending))
    return Response({"status": "ready"})


def _not_ready(reason: str) -> Response:
    return Response({"status": "not ready", "reason": reason}, status_code=503)
