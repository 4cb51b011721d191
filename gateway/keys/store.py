"""API keys in ``gateway.api_keys``: created, listed, revoked, and looked up by secret."""

from __future__ import annotations

from psycopg import AsyncConnection
from psycopg.rows import class_row

from gateway.errors import ResourceMissing
from gateway.keys.model import ApiKey, Mode, display_prefix, new_secret, secret_hash

COLUMNS = "id, agency_code, mode, display_prefix, created_at, revoked_at"


async def create_key(conn: AsyncConnection, agency_code: str, mode: Mode) -> tuple[ApiKey, str]:
    """Create a key; return it with its secret, which is shown this once and never stored."""
    secret = new_secret(mode)
    async with conn.cursor(row_factory=class_row(ApiKey)) as cur:
        await cur.execute(
            f"INSERT INTO gateway.api_keys (agency_code, mode, secret_sha256, display_prefix)"
            f" VALUES (%s, %s, %s, %s) RETURNING {COLUMNS}",
            (agency_code, mode, secret_hash(secret), display_prefix(secret)),
        )
        return await cur.fetchone(), secret


async def list_keys(conn: AsyncConnection, agency_code: str | None = None) -> list[ApiKey]:
    async with conn.cursor(row_factory=class_row(ApiKey)) as cur:
        await cur.execute(
            f"SELECT {COLUMNS} FROM gateway.api_keys"
            " WHERE %(agency)s::text IS NULL OR agency_code = %(agency)s ORDER BY id",
            {"agency": agency_code},
        )
        return await cur.fetchall()


async def revoke_key(conn: AsyncConnection, key_id: int) -> ApiKey:
    """Revoke a key from now on; revoking twice keeps the first time."""
    async with conn.cursor(row_factory=class_row(ApiKey)) as cur:
        await cur.execute(
            f"UPDATE gateway.api_keys SET revoked_at = coalesce(revoked_at, now())"
            f" WHERE id = %s RETURNING {COLUMNS}",
            (key_id,),
        )
        key = await cur.fetchone()
    if key is None:
        raise ResourceMissing(f"No such API key: {key_id}")
    return key


async def find_active_key(conn: AsyncConnection, secret: str) -> ApiKey | None:
    async with conn.cursor(row_factory=class_row(ApiKey)) as cur:
        await cur.execute(
            f"SELECT {COLUMNS} FROM gateway.api_keys WHERE secret_sha256 = %s AND revoked_at IS NULL",
            (secret_hash(secret),),
        )
        return await cur.fetchone()
