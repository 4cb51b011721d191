"""`publicpay catalogue load|show|price` against a real database."""

from pathlib import Path

import msgspec
import pytest
from typer.testing import CliRunner

from gateway.cli import app

SEED = Path(__file__).parents[2] / "catalogue" / "data" / "seed.json"


@pytest.fixture(autouse=True)
def database(database_url, monkeypatch):
    monkeypatch.setenv("PUBLICPAY_DATABASE_URL", database_url)
    monkeypatch.setenv("PUBLICPAY_MODE", "sandbox")


def invoke(*args):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def test_load_then_load_again():
    first = invoke("catalogue", "load", str(SEED))
    assert first.exit_code == 0, first.output
    assert "loaded version 2: agencies 11 created / 0 updated" in first.output
    again = invoke("catalogue", "load", str(SEED))
    assert again.exit_code == 0 and "version 2 is already loaded: nothing changed" in again.output


def test_a_bad_file_is_refused_with_its_path(tmp_path):
    document = msgspec.json.decode(SEED.read_bytes())
    document["services"][2]["agency_code"] = "XYZ"
    bad = tmp_path / "bad.json"
    bad.write_bytes(msgspec.json.encode(document))
    result = invoke("catalogue", "load", str(bad))
    assert result.exit_code == 1
    assert "refused (unknown_agency): $.services[2].agency_code: no agency 'XYZ'" in result.output


def test_show_lists_searches_and_describes_on_a_fresh_database():
    listing = invoke("catalogue", "show")
    assert listing.exit_code == 0, listing.output
    assert "17 service(s)" in listing.output and "BHXH-BHYT-HGD" in listing.output
    found = invoke("catalogue", "show", "--search", "giay phep lai xe quoc te")
    assert "1 service(s)" in found.output and "BCA-GPLX-QUOCTE" in found.output
    one = invoke("catalogue", "show", "BCA-XPVPHC-GT")
    assert one.exit_code == 0 and "plate_number" in one.output and '"basis_points":7000' in one.output


def test_price_prints_the_lines_the_total_and_the_shares():
    result = invoke("catalogue", "price", "BHXH-BHYT-HGD", "--input", "social_insurance_number=0123456789",
                    "-i", "months=12", "--on", "2025-01-01")
    assert result.exit_code == 0, result.output
    assert "1,263,600" in result.output and "505,440" in result.output and "4,043,520" in result.output
    assert "to agency:BHXH:payable: 4,043,520 VND" in result.output
    fine = invoke("catalogue", "price", "BCA-XPVPHC-GT", "-i", "plate_number=30A-123.45")
    assert "to agency:NSTW:payable: 16,100,000 VND" in fine.output


def test_price_refusals_name_the_field():
    missing = invoke("catalogue", "price", "BHXH-BHYT-HGD", "-i", "months=12")
    assert missing.exit_code == 1 and "social_insurance_number: required" in missing.output
    unknown = invoke("catalogue", "price", "NOPE-NOPE")
    assert unknown.exit_code == 1 and "service_code: no service 'NOPE-NOPE'" in unknown.output
    malformed = invoke("catalogue", "price", "BHXH-BHYT-HGD", "-i", "months")
    assert malformed.exit_code == 2 and "FIELD=VALUE" in malformed.output
