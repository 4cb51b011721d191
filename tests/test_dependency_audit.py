"""pip-audit over the installed environment: no dependency with a known vulnerability.

pip-audit asks PyPI's JSON API (``/pypi/<name>/<version>/json``, whose ``vulnerabilities``
come from the OSV database) about each installed distribution. pip-audit itself reports a
distribution it could not ask about as skipped and still says "No known vulnerabilities
found", so this test reads its JSON: any vulnerability fails it, any distribution left
unaudited fails it too, except when none at all could be audited — the service is out of
reach from this machine (a workplace that reaches PyPI's package index but not that API) —
where it is skipped, saying so, rather than passed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SERVICE = "pypi"


def audit() -> dict:
    # --skip-editable: publicpay itself, installed from this checkout, is on no index.
    done = subprocess.run([sys.executable, "-m", "pip_audit", "--vulnerability-service", SERVICE, "--format", "json",
                           "--progress-spinner", "off", "--skip-editable"], capture_output=True, text=True)
    if not done.stdout.strip():
        pytest.fail(f"pip-audit answered nothing (exit {done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout)


def test_no_installed_dependency_has_a_known_vulnerability() -> None:
    dependencies = audit()["dependencies"]
    skipped = {d["name"]: d["skip_reason"] for d in dependencies if "skip_reason" in d}
    if dependencies and len(skipped) == len(dependencies):
        pytest.skip(f"pip-audit could audit none of the {len(dependencies)} installed distributions: its "
                    f"vulnerability service ({SERVICE}) is out of reach from here, e.g. {next(iter(skipped.values()))}")
    vulnerable = {f"{d['name']} {d['version']}": [v["id"] for v in d["vulns"]] for d in dependencies if d.get("vulns")}
    assert vulnerable == {}
    assert skipped == {}, "these distributions were not audited"
