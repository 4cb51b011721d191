"""One PostgreSQL server per test session (embedded, or PUBLICPAY_DATABASE_URL), one
migrated template database, and a fresh database cloned from it for every test."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import psycopg
import pytest
from hypothesis import HealthCheck, settings
from psycopg import sql
from psycopg.conninfo import make_conninfo

from gateway.database import embedded_server
from gateway.migrations import migrate

# No time limits inside tests: on two cores shared with server processes (and other runs) an
# example's time, or generating a large one, says nothing about the code under test.
settings.register_profile("publicpay", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("publicpay")


def publicpay_environ(settings: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment for a `publicpay` subprocess: none of the caller's own
    ``PUBLICPAY_*`` variables, only ``settings``."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PUBLICPAY_")} | (settings or {})


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("PUBLICPAY_DATABASE_URL")
    if external:
        yield external
        return
    with embedded_server(tmp_path_factory.mktemp("pg") / "data") as url:
        yield url


def _admin(server_url: str) -> psycopg.Connection:
    return psycopg.connect(server_url, autocommit=True)


def _drop(server_url: str, name: str) -> None:
    with _admin(server_url) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextlib.contextmanager
def empty_database(server_url: str, prefix: str) -> Iterator[str]:
    """A new database with nothing in it (for whatever migrates it itself), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with _admin(server_url) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_conninfo(server_url, dbname=name)
    finally:
        _drop(server_url, name)


@pytest.fixture
def empty_database_url(server_url: str) -> Iterator[str]:
    with empty_database(server_url, "publicpay_empty") as url:
        yield url


@pytest.fixture(scope="session")
def template_name(server_url: str) -> Iterator[str]:
    name = f"publicpay_template_{uuid.uuid4().hex[:12]}"
    with _admin(server_url) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with psycopg.connect(make_conninfo(server_url, dbname=name), autocommit=True) as conn:
        migrate(conn)
    yield name
    _drop(server_url, name)


@pytest.fixture
def database_url(server_url: str, template_name: str) -> Iterator[str]:
    """A database of its own for this test, already migrated; dropped afterwards."""
    name = f"publicpay_test_{uuid.uuid4().hex[:12]}"
    with _admin(server_url) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
            sql.Identifier(name), sql.Identifier(template_name)))
    yield make_conninfo(server_url, dbname=name)
    _drop(server_url, name)


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[psycopg.AsyncConnection]:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as connection:
        yield connection
