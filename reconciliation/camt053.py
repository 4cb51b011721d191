"""ISO 20022 camt.053 bank-to-customer statements, read safely and as a stream.

Every version from camt.053.001.02 on is read; the version comes from the document's
namespace, never from a hard-coded one (``camt053_elements`` handles where they differ).

Bank files are input from outside, so the XML parser resolves no entities, loads no DTD,
touches no network and keeps libxml2's size limits, and a document with a DOCTYPE is
refused outright: camt.053 never needs one, and a DOCTYPE is how XXE and "billion laughs"
payloads arrive.

A statement can hold 100 000 entries, so the file is read in chunks by a pull parser that
reports only ``Stmt`` and ``Ntry`` elements; each entry is turned into a value and then
removed from the tree, so memory stays flat whatever the file's size.
:func:`iter_camt053` yields a :class:`StatementHeader`, its :class:`Entry` values and a
:class:`StatementEnd` with the balance check, for each statement; :func:`parse_camt053`
collects them into :class:`Statement` values for files that fit in memory.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import re
import types
from collections.abc import Iterator
from typing import BinaryIO

from lxml import etree

from reconciliation.camt053_elements import EntryReader, HeaderReader, Tags
from reconciliation.errors import StatementFormatError
from reconciliation.model import Entry, Statement, StatementEnd, StatementHeader
from reconciliation.statement_balance import BalanceTally

StatementSource = str | os.PathLike[str] | bytes | BinaryIO
StatementItem = StatementHeader | Entry | StatementEnd

# No entity expansion, no DTD, no network, libxml2's default limits on depth and text size.
SAFE_PARSER_OPTIONS = types.MappingProxyType(dict(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False))
_NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.(\d{2})")
_CHUNK_BYTES = 64 * 1024
_PROLOG_LIMIT_BYTES = 1024 * 1024  # the root element must start within the first MiB


def parse_camt053(source: StatementSource) -> list[Statement]:
    """Every statement of a camt.053 document, entries in memory."""
    statements: list[Statement] = []
    header: StatementHeader | None = None
    entries: list[Entry] = []
    for item in iter_camt053(source):
        match item:
            case StatementHeader():
                header, entries = item, []
            case Entry():
                entries.append(item)
            case StatementEnd():
                assert header is not None and header.statement_id == item.statement_id
                statements.append(Statement(header=header, entries=tuple(entries)))
    return statements


def iter_camt053(source: StatementSource) -> Iterator[StatementItem]:
    """Stream a camt.053 document: per statement, its header, its entries, its end.

    ``source`` is a path, the document's bytes, or a binary file object (left open).
    Raises :class:`StatementFormatError` naming the element and the reason.
    """
    with _binary_stream(source) as stream:
        head, namespace, version = _read_prolog(stream)
        tags = Tags(namespace)
        parser = etree.XMLPullParser(events=("end",), tag=[tags.Stmt, tags.Ntry], **SAFE_PARSER_OPTIONS)
        reader = _StatementReader(tags, version)
        for chunk in itertools.chain(head, iter(lambda: stream.read(_CHUNK_BYTES), b"")):
            _feed(parser, chunk)
            for _, element in parser.read_events():
                yield from reader.on_end(element)
        try:
            parser.close()
        except etree.XMLSyntaxError as error:
            raise _syntax_error(error) from None
        for _, element in parser.read_events():
            yield from reader.on_end(element)
        if reader.statement_count == 0:
            raise StatementFormatError("the document has no Stmt", element="BkToCstmrStmt")


@contextlib.contextmanager
def _binary_stream(source: StatementSource) -> Iterator[BinaryIO]:
    if isinstance(source, bytes):
        yield io.BytesIO(source)
    elif isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as file:
            yield file
    else:
        yield source


def _read_prolog(stream: BinaryIO) -> tuple[list[bytes], str, str]:
    """Read until the root element starts; refuse a DOCTYPE and anything but camt.053.

    Returns the bytes read (the main parser starts over on them), the namespace and the
    message version, e.g. ``camt.053.001.08``.
    """
    parser = etree.XMLPullParser(events=("start",), **SAFE_PARSER_OPTIONS)
    head: list[bytes] = []
    while True:
        chunk = stream.read(_CHUNK_BYTES)
        if not chunk:
            if not head:
                raise StatementFormatError("the document is empty")
            try:
                parser.close()
            except etree.XMLSyntaxError as error:
                raise _syntax_error(error) from None
            raise StatementFormatError("no root element")
        head.append(chunk)
        _feed(parser, chunk)
        for _, root in parser.read_events():
            return head, *_check_root(root)
        if sum(map(len, head)) >= _PROLOG_LIMIT_BYTES:
            raise StatementFormatError(f"no root element within the first {_PROLOG_LIMIT_BYTES} bytes")


def _check_root(root: etree._Element) -> tuple[str, str]:
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise StatementFormatError(
            "a DOCTYPE declaration is not allowed (camt.053 needs none; DTDs carry XXE and entity bombs)",
            element="DOCTYPE")
    qname = etree.QName(root)
    match = _NAMESPACE.fullmatch(qname.namespace or "")
    if qname.localname != "Document" or match is None:
        raise StatementFormatError(
            f"expected a camt.053 Document, found {{{qname.namespace or ''}}}{qname.localname}",
            element=qname.localname, line=root.sourceline)
    if int(match[1]) < 2:
        raise StatementFormatError(f"camt.053.001.{match[1]} is not supported (02 and later are)",
                                   element="Document", line=root.sourceline)
    return qname.namespace, f"camt.053.001.{match[1]}"


def _feed(parser: etree.XMLPullParser, chunk: bytes) -> None:
    try:
        parser.feed(chunk)
    except etree.XMLSyntaxError as error:
        raise _syntax_error(error) from None


def _syntax_error(error: etree.XMLSyntaxError) -> StatementFormatError:
    return StatementFormatError(f"not well-formed XML: {error.msg}", line=error.lineno or None)


class _StatementReader:
    """Turns ``Stmt`` and ``Ntry`` end events into values, pruning the tree behind it."""

    def __init__(self, tags: Tags, version: str) -> None:
        self.t = tags
        self.version = version
        self.statement_count = 0
        self._statement: etree._Element | None = None
        self._header: StatementHeader | None = None
        self._tally: BalanceTally | None = None
        self._entry_count = 0

    def on_end(self, element: etree._Element) -> Iterator[StatementItem]:
        if element.tag == self.t.Ntry:
            yield from self._on_entry(element)
        else:
            yield from self._on_statement(element)

    def _where(self) -> str:
        return f"Stmt[{self.statement_count + 1}]"

    def _start_statement(self, statement: etree._Element, first_entry: etree._Element | None) -> StatementHeader:
        parent = statement.getparent()
        if parent is None or parent.tag != self.t.BkToCstmrStmt:
            raise StatementFormatError("Stmt outside BkToCstmrStmt", element=self._where(),
                                       line=statement.sourceline)
        self._statement, self._entry_count = statement, 0
        self._header = HeaderReader(self.t, self._where()).read(statement, self.version, first_entry)
        self._tally = BalanceTally(self._header.currency)
        return self._header

    def _on_entry(self, ntry: etree._Element) -> Iterator[StatementItem]:
        statement = ntry.getparent()
        if statement is None or statement.tag != self.t.Stmt:
            raise StatementFormatError("Ntry outside Stmt", element="Ntry", line=ntry.sourceline)
        if statement is not self._statement:
            yield self._start_statement(statement, ntry)
        assert self._tally is not None
        self._entry_count += 1
        entry = EntryReader(self.t, f"{self._where()}/Ntry[{self._entry_count}]").read(ntry)
        self._tally.add(entry)
        yield entry
        # The entry is a value now: drop it, and everything before it, from the tree.
        ntry.clear(keep_tail=True)
        while ntry.getprevious() is not None:
            del statement[0]

    def _on_statement(self, statement: etree._Element) -> Iterator[StatementItem]:
        if statement is not self._statement:
            yield self._start_statement(statement, None)
        assert self._header is not None and self._tally is not None
        yield StatementEnd(statement_id=self._header.statement_id, entry_count=self._entry_count,
                           check=self._tally.check(self._header))
        self.statement_count += 1
        self._statement = None
        parent = statement.getparent()
        statement.clear(keep_tail=True)
        if parent is not None:
            parent.remove(statement)
