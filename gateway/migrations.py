"""One runner for every package's forward-only ``sql/migrations/NNNN_name.sql`` files."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

import psycopg

# Dependency order: a package's migrations may refer only to schemas listed before it.
PACKAGES = ("ledger", "catalogue", "reconciliation", "gateway")

MIGRATION_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

# Any constant will do; it only has to differ from the application's other advisory locks.
MIGRATION_LOCK_KEY = 0x70_75_62_6C_69_63  # "public"

CREATE_HISTORY = """
CREATE TABLE IF NOT EXISTS public.schema_migrations (
    package    text        NOT NULL,
    version    integer     NOT NULL,
    name       text        NOT NULL,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (package, version)
)
"""


class MigrationError(RuntimeError):
    """The database and the code disagree about the schema."""


@dataclass(frozen=True)
class Migration:
    package: str
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def label(self) -> str:
        return f"{self.package}/{self.version:04d}_{self.name}"


def discover_migrations() -> list[Migration]:
    found: list[Migration] = []
    for package in PACKAGES:
        folder = resources.files(package) / "sql" / "migrations"
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            match = MIGRATION_FILE.match(entry.name)
            if match is None:
                continue
            found.append(Migration(package, int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    return found


def migrate(conn: psycopg.Connection, migrations: list[Migration] | None = None, *,
            record: Callable[[psycopg.Connection, list[Migration]], None] | None = None) -> list[Migration]:
    """Apply what is missing, each file in its own transaction; return what was applied.

    ``record`` (an audit entry) is called with every migration applied, in the transaction
    of the last one, so that it commits with the schema change or not at all. By then every
    package's tables exist, the gateway's audit table too: the gateway migrates last.

    Refuses, before applying anything, when the database holds a migration the code does
    not know (it is ahead of the code) or one whose text has changed since it was applied.
    """
    migrations = discover_migrations() if migrations is None else migrations
    conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
    try:
        conn.execute(CREATE_HISTORY)
        pending = pending_migrations(conn, migrations)
        for migration in pending:
            with conn.transaction():
                conn.execute(migration.sql)
                conn.execute(
                    "INSERT INTO public.schema_migrations (package, version, name, checksum)"
                    " VALUES (%s, %s, %s, %s)",
                    (migration.package, migration.version, migration.name, migration.checksum),
                )
                if record is not None and migration is pending[-1]:
                    record(conn, pending)
        return pending
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))


SELECT_APPLIED = "SELECT package, version, name, checksum FROM public.schema_migrations"


def pending_migrations(conn: psycopg.Connection, migrations: list[Migration]) -> list[Migration]:
    """Migrations not yet applied, after checking that the database is not ahead of the code."""
    return unapplied(conn.execute(SELECT_APPLIED).fetchall(), migrations)


def unapplied(applied_rows: list[tuple[str, int, str, str]], migrations: list[Migration]) -> list[Migration]:
    """What ``migrations`` holds beyond ``applied_rows`` (rows of SELECT_APPLIED); raises
    MigrationError when the database is ahead of the code or an applied file was edited.
    Separate from the query so that the async readiness probe can use it too."""
    applied = {(package, version): (name, checksum) for package, version, name, checksum in applied_rows}
    known = {(m.package, m.version): m for m in migrations}
    unknown = sorted(set(applied) - set(known))
    if unknown:
        labels = ", ".join(f"{p}/{v:04d}_{applied[(p, v)][0]}" for p, v in unknown)
        raise MigrationError(f"the database is ahead of the code: it has {labels}, which this code does not know")
    changed = [m.label for key, m in known.items() if key in applied and applied[key][1] != m.checksum]
    if changed:
        raise MigrationError(f"applied migrations were edited afterwards: {', '.join(changed)}")
    return [m for m in migrations if (m.package, m.version) not in applied]
