"""`publicpay status` on a fresh home: starts the embedded server, migrates, reports, stops."""

import os
import subprocess
import sys
from pathlib import Path

import psutil

from tests.conftest import publicpay_environ


def publicpay(*args: str, home: Path) -> subprocess.CompletedProcess:
    environ = publicpay_environ({"PUBLICPAY_HOME": str(home)})
    return subprocess.run([sys.executable, "-m", "gateway", *args], env=environ, capture_output=True, text=True,
                          timeout=120)


def servers_on(home: Path) -> list[psutil.Process]:
    data = str((home / "postgres").resolve())
    return [p for p in psutil.process_iter(["name", "cmdline"])
            if p.info["name"] == "postgres" and data in " ".join(p.info["cmdline"] or [])]


def test_status_uses_an_embedded_server_kept_across_runs_and_stopped_on_exit(tmp_path):
    first = publicpay("status", home=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "applied ledger/0001_ledger" in first.stdout and "invariants: all hold" in first.stdout
    assert servers_on(tmp_path) == []
    second = publicpay("status", home=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "0 migration(s) applied" in second.stdout  # the same data directory, already migrated
    assert (tmp_path / "postgres" / "PG_VERSION").exists()


def test_a_bad_setting_stops_the_command_with_its_name(tmp_path):
    result = subprocess.run([sys.executable, "-m", "gateway", "status"], capture_output=True, text=True, timeout=60,
                            env=os.environ | {"PUBLICPAY_MODE": "production"})
    assert result.returncode == 2
    assert "PUBLICPAY_MODE" in result.stdout


def test_a_killed_user_does_not_keep_the_server_running_forever(tmp_path):
    assert publicpay("status", home=tmp_path).returncode == 0
    users = tmp_path / "postgres" / ".handle_pids.json"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    users.write_text(f"[{dead.pid}]")  # as if a process had been killed while using the server
    assert publicpay("status", home=tmp_path).returncode == 0
    assert servers_on(tmp_path) == []
