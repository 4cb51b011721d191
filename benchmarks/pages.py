"""The hosted checkout's pages: their weight and their speed under 16 concurrent visitors.

    python -m benchmarks.pages [--quick]

Starts `publicpay serve --workers 2` on a fresh database, walks a citizen's journey with
httpx (a fine found, a payment by VietQR, one by test card with its receipt) to reach the
pages that need a payment, then:
- weighs each page as a browser would fetch it: the HTML (VietQR code included, as a data
  URI) plus the stylesheet and scripts it links, uncompressed;
- drives all of them round-robin with wrk at 16 connections (Debian's `wrk`).
Prints one JSON object on its last line: max_page_bytes, p95_ms (targets: every page
under 100 KB; p95 under 30 ms).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx

from benchmarks.common import fresh_database, report, serving

VISITORS = 16
SCRIPT = Path(__file__).parent / "wrk" / "pages.lua"
PUBLIC_PAGES = ["/", "/fines", "/electricity", "/health-insurance", "/dossiers/pay", "/dossiers/track",
                "/receipts/check", "/services?q=giay+phep+lai+xe", "/services/BCA-GPLX-DOI"]
LINKED = re.compile(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"')


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def _pay_a_fine(client: httpx.Client, decision: str, amount: int, method: str) -> str:
    token = _token(client.get("/fines").text)
    intent_id = client.post("/fines/pay", data={"csrf_token": token, "decision_number": decision,
                                                "expected_minor": str(amount)}).headers["location"].split("/")[-1]
    page = client.get(f"/pay/{intent_id}").text
    client.post(f"/pay/{intent_id}", data={"csrf_token": token, "payer": "Nguyễn Văn An", "method": method,
                                           "test_card": "pm_card_visa",
                                           "attempt_key": re.search(r'name="attempt_key" value="([^"]+)"', page)[1]})
    return intent_id


def journey_pages(client: httpx.Client) -> list[str]:
    """Pages that exist once a citizen has started paying (the sandbox's demo decisions)."""
    by_transfer = _pay_a_fine(client, "0012345/QĐ-XPVPHC", 5_000_000, "vietqr")
    by_card = _pay_a_fine(client, "0012347/QĐ-XPVPHC", 500_000, "card")
    return [f"/pay/{by_transfer}/status", f"/pay/{by_card}/status", f"/receipts/{by_card}"]


def page_bytes(client: httpx.Client, path: str) -> int:
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    return len(page.content) + sum(len(client.get(linked).content) for linked in LINKED.findall(page.text))


def run_wrk(port: int, pages: list[str], cookie: str, seconds: int) -> float:
    output = subprocess.run(
        ["wrk", "-t1", f"-c{VISITORS}", f"-d{seconds}s", "-s", str(SCRIPT), "-H", f"Cookie: {cookie}",
         f"http://127.0.0.1:{port}"], env=os.environ | {"PAGES": " ".join(pages)},
        capture_output=True, text=True, check=True).stdout
    print(output, flush=True)
    if "Non-2xx" in output:
        raise SystemExit("some pages failed: the figures would not mean anything")
    return int(re.search(r"p95_us (\d+)", output)[1]) / 1000


def main(quick: bool) -> dict:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    with fresh_database() as url, serving(url) as port:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            pages = PUBLIC_PAGES + journey_pages(client)
            weights = {path: page_bytes(client, path) for path in pages}
            cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        print("\n".join(f"{size:>8} B  {path}" for path, size in weights.items()), flush=True)
        run_wrk(port, pages, cookie, 2)  # warm-up: pools, templates, prepared statements
        p95_ms = run_wrk(port, pages, cookie, 5 if quick else 20)
        return {"max_page_bytes": max(weights.values()), "p95_ms": round(p95_ms, 1)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a 5-second run instead of 20")
    report(main(parser.parse_args().quick))
