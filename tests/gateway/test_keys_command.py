"""`publicpay keys` against the same database a running server uses."""

import subprocess
import sys

import httpx

from tests.conftest import publicpay_environ


def publicpay(*args: str, database_url: str) -> subprocess.CompletedProcess:
    environ = publicpay_environ()
    return subprocess.run([sys.executable, "-m", "gateway", *args], capture_output=True, text=True, timeout=60,
                          env=environ | {"PUBLICPAY_DATABASE_URL": database_url, "COLUMNS": "200"})


def test_create_list_revoke_while_the_server_runs(api_url, api_database_url, agency, outlive_key_cache):
    created = publicpay("keys", "create", "--agency", agency, "--mode", "live", database_url=api_database_url)
    assert created.returncode == 0, created.stdout + created.stderr
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("sk_live_")
    assert httpx.get(f"{api_url}/v1/payment_intents", auth=(secret, "")).status_code == 200

    listed = publicpay("keys", "list", "--agency", agency, database_url=api_database_url)
    assert secret[:12] in listed.stdout and secret not in listed.stdout  # only the prefix is kept
    key_id = created.stdout.split("created key ")[1].split()[0]

    revoked = publicpay("keys", "revoke", key_id, database_url=api_database_url)
    assert revoked.returncode == 0, revoked.stdout
    outlive_key_cache()
    assert httpx.get(f"{api_url}/v1/payment_intents", auth=(secret, "")).status_code == 401


def test_refuses_a_bad_agency_code(api_database_url):
    refused = publicpay("keys", "create", "--agency", "no spaces allowed", database_url=api_database_url)
    assert refused.returncode == 2 and "not an agency code" in refused.stdout
