"""Bank files are hostile input: no DOCTYPE, no entities, no network, bounded prolog."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from reconciliation.camt053 import SAFE_PARSER_OPTIONS, parse_camt053
from reconciliation.errors import StatementFormatError

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
SECRET = "publicpay-xxe-canary-7f3a"


def statement_with(doctype: str, message_id: str) -> bytes:
    return (f'<?xml version="1.0"?>\n{doctype}\n<Document xmlns="{NAMESPACE}"><BkToCstmrStmt>'
            f"<GrpHdr><MsgId>{message_id}</MsgId></GrpHdr><Stmt><Id>1</Id>"
            "<Acct><Id><IBAN>NL77ABNA0574908765</IBAN></Id><Ccy>EUR</Ccy></Acct></Stmt>"
            "</BkToCstmrStmt></Document>").encode()


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


def test_xxe_payload_is_refused_and_reads_no_file(secret_file: Path) -> None:
    xml = statement_with(f'<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file://{secret_file}">]>', "&xxe;")
    with pytest.raises(StatementFormatError) as caught:
        parse_camt053(xml)
    assert caught.value.element == "DOCTYPE"
    assert "DOCTYPE declaration is not allowed" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_the_parser_itself_would_not_expand_the_entity_either(secret_file: Path) -> None:
    # Defence in depth: even without the DOCTYPE refusal, our parser options leave the
    # external entity unresolved and unread.
    xml = statement_with(f'<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file://{secret_file}">]>', "&xxe;")
    root = etree.fromstring(xml, etree.XMLParser(**SAFE_PARSER_OPTIONS))
    assert SECRET not in etree.tostring(root, encoding="unicode")
    assert root.findtext(f"{{{NAMESPACE}}}BkToCstmrStmt/{{{NAMESPACE}}}GrpHdr/{{{NAMESPACE}}}MsgId") in (None, "")


@pytest.mark.parametrize("doctype", [
    # billion laughs
    '<!DOCTYPE Document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
    # external DTD over the network, and a parameter entity
    '<!DOCTYPE Document SYSTEM "http://127.0.0.1:9/evil.dtd">',
    '<!DOCTYPE Document [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x"> %remote;]>',
    # even a harmless one: camt.053 has no use for a DOCTYPE
    "<!DOCTYPE Document>",
])
def test_any_doctype_is_refused(doctype: str) -> None:
    with pytest.raises(StatementFormatError, match="DOCTYPE"):
        parse_camt053(statement_with(doctype, "M"))


def test_undeclared_entity_is_not_well_formed() -> None:
    with pytest.raises(StatementFormatError, match="not well-formed XML"):
        parse_camt053(statement_with("", "&xxe;"))


def test_root_must_start_within_the_first_mebibyte() -> None:
    padding = "<!--" + "x" * (2 * 1024 * 1024) + "-->"
    with pytest.raises(StatementFormatError, match="no root element within the first"):
        parse_camt053(statement_with(padding, "M"))
