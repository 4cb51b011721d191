"""Every console route, with real ids from a reconciled day, answers its files (the CSV and
JSON downloads: finance data) with ``X-Content-Type-Options: nosniff`` and
``Cache-Control: no-store``, as it answers its pages; a download route added later is
requested too, and must say so."""

from __future__ import annotations

import re

from gateway.console.roles import Role
from gateway.console.run_pages import CSV_FILES
from gateway.web.security_headers import FILE_HEADERS
from tests.console.console_browser import console_app, reconcile_every_class_day
from tests.gateway.app_routes import http_routes
from tests.reconciliation.golden_books import DAY

DOWNLOADS = {"/console/runs/{run_id}/report.json", "/console/runs/{run_id}/csv/{name}",
             "/console/remittances/{day}/treasury.csv"}


async def test_every_console_file_is_neither_sniffed_nor_kept(database_url, conn, tmp_path):
    async with console_app(database_url, conn, tmp_path) as console:
        run = await reconcile_every_class_day(conn)
        exception_id = (await (await conn.execute("SELECT min(id) FROM recon.exceptions")).fetchone())[0]
        async with console.signed_in(Role.AUDITOR) as (browser, auditor):
            values = {"run_id": [str(run.id)], "name": list(CSV_FILES), "day": [DAY.isoformat()],
                      "exception_id": [str(exception_id)], "staff_id": [str(auditor.id)]}
            files = set()
            for method, template in sorted(http_routes("/console")):
                if method != "GET":
                    continue
                for path in expand(template, values):
                    answer = await browser.get(path)
                    assert answer.status_code < 500, (path, answer.text)
                    if not answer.headers["content-type"].startswith("text/html") and answer.status_code == 200:
                        files.add(template)
                        assert {name: answer.headers.get(name) for name in FILE_HEADERS} == FILE_HEADERS, (
                            path, answer.headers)
                        assert answer.headers["content-disposition"].startswith("attachment;"), path
    assert files == DOWNLOADS


def expand(template: str, values: dict[str, list[str]]) -> list[str]:
    """The template with each of its parameters' values (every combination)."""
    paths = [template]
    for name in re.findall(r"\{(\w+)\}", template):
        paths = [path.replace(f"{{{name}}}", value) for path in paths for value in values[name]]
    return paths
