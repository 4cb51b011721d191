"""The CSV plumbing the settlement formats share: exact headers, named columns, errors
that name the line. Each provider's ``settlement.py`` says what the columns mean."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from providers.errors import MalformedMessage


def write_rows(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180, as spreadsheet exports write it
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def read_rows(content: bytes, header: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line number, {column: value})`` for each data row, after checking the header."""
    try:
        text = content.decode("utf-8-sig")  # exports from Windows tools start with a BOM
    except UnicodeDecodeError as problem:
        raise MalformedMessage(f"settlement file is not UTF-8: {problem}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    found = next(reader, None)
    if found != list(header):
        raise MalformedMessage(f"settlement file header is {found!r}, expected {list(header)!r}")
    for row in reader:
        if len(row) != len(header):
            raise MalformedMessage(f"settlement file line {reader.line_num}: {len(row)} columns,"
                                   f" expected {len(header)}")
        yield reader.line_num, dict(zip(header, row, strict=True))


def whole_number(value: str, column: str, line: int) -> int:
    if not value.isascii() or not value.isdigit():
        raise MalformedMessage(f"settlement file line {line}: {column} {value!r} is not a whole number")
    return int(value)
