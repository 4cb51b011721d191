"""A statement of 100 000 entries streams in seconds and in flat memory; reading stops
as soon as the caller does."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import reconciliation
from reconciliation.camt053 import iter_camt053
from reconciliation.model import Entry, StatementHeader

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
AMOUNT_VND = 200_000


def write_large_statement(path: Path, entries: int) -> None:
    """A VND statement of ``entries`` citizen payments, as a collection bank would send it."""
    head = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{NAMESPACE}"><BkToCstmrStmt>'
            "<GrpHdr><MsgId>VCB-20240301</MsgId><CreDtTm>2024-03-02T01:00:00+07:00</CreDtTm></GrpHdr>"
            "<Stmt><Id>VCB-20240301-1</Id><Acct><Id><Othr><Id>0011001932418</Id></Othr></Id><Ccy>VND</Ccy></Acct>"
            '<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="VND">0</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
            "<Dt><Dt>2024-03-01</Dt></Dt></Bal>"
            f'<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="VND">{entries * AMOUNT_VND}</Amt>'
            "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-03-01</Dt></Dt></Bal>\n")
    entry = (f'<Ntry><Amt Ccy="VND">{AMOUNT_VND}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
             "<BookgDt><Dt>2024-03-01</Dt></BookgDt><AcctSvcrRef>FT{0:010d}</AcctSvcrRef>"
             "<NtryDtls><TxDtls><Refs><EndToEndId>pi_{0:012d}</EndToEndId></Refs>"
             "<RmtInf><Ustrd>PP pi_{0:012d}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\n")
    with path.open("w", encoding="utf-8") as file:
        file.write(head)
        file.writelines(entry.format(index) for index in range(entries))
        file.write("</Stmt></BkToCstmrStmt></Document>\n")


# Run in a child process so that its peak resident memory is the parser's alone.
CHILD = """
import json, resource, sys, time
from reconciliation.camt053 import iter_camt053
from reconciliation.model import Entry, StatementEnd

before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
entries, last_ref, end = 0, None, None
for item in iter_camt053(sys.argv[1]):
    if isinstance(item, Entry):
        entries += 1
        last_ref = item.end_to_end_id
    elif isinstance(item, StatementEnd):
        end = item
print(json.dumps({
    "entries": entries, "last_ref": last_ref, "entry_count": end.entry_count,
    "balanced": end.check.balanced, "booked_net_minor": end.check.booked_net_minor,
    "seconds": time.perf_counter() - started,
    "growth_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before_kib,
}))
"""


def test_hundred_thousand_entries_stream_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "large.xml"
    write_large_statement(path, 100_000)
    assert path.stat().st_size > 30_000_000

    project_root = Path(reconciliation.__file__).resolve().parents[1]
    child = subprocess.run([sys.executable, "-c", CHILD, str(path)], cwd=project_root,
                           capture_output=True, text=True, check=True, timeout=120)
    result = json.loads(child.stdout)

    assert (result["entries"], result["entry_count"]) == (100_000, 100_000)
    assert result["last_ref"] == "pi_000000099999"
    assert result["balanced"] and result["booked_net_minor"] == 100_000 * AMOUNT_VND
    # The whole tree of this file would take about 300 MB; streamed, a few MB.
    assert result["growth_kib"] < 50 * 1024, result
    assert result["seconds"] < 30, result  # about 3 s; the bound only catches a pathology


class CountingReader(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self._data.read(size)
        self.bytes_read += len(chunk)
        return chunk


def test_reading_is_lazy(tmp_path: Path) -> None:
    path = tmp_path / "medium.xml"
    write_large_statement(path, 5_000)
    source = CountingReader(path.read_bytes())
    items = iter_camt053(source)  # type: ignore[arg-type]
    assert isinstance(next(items), StatementHeader)
    assert isinstance(next(items), Entry)
    # Two 64 KiB chunks at most: the rest of the 1.5 MB file is not touched yet.
    assert source.bytes_read <= 2 * 64 * 1024 < path.stat().st_size
