"""What every benchmark needs: a fresh, migrated database on the embedded server (or on
PUBLICPAY_DATABASE_URL), and a way to print its figures."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from gateway.database import embedded_server
from gateway.migrations import migrate


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """A new migrated database, dropped afterwards; the embedded server lives in a temp dir."""
    with contextlib.ExitStack() as stack:
        server_url = os.environ.get("PUBLICPAY_DATABASE_URL")
        if not server_url:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="publicpay-bench-")))
            server_url = stack.enter_context(embedded_server(folder / "data"))
        name = f"publicpay_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        url = make_conninfo(server_url, dbname=name)
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                migrate(conn)
            yield url
        finally:
            with psycopg.connect(server_url, autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def report(figures: dict) -> None:
    """The benchmark's contract: one JSON object of figures on the last line."""
    print(json.dumps(figures), flush=True)
