"""Whatever the writer in tests/strategies.py writes, in any version, reads back equal,
and the balance check is exactly closing − (opening + booked entries)."""

from __future__ import annotations

from hypothesis import given
from strategies import camt_documents, write_camt053

from reconciliation.camt053 import iter_camt053, parse_camt053
from reconciliation.model import Statement, StatementEnd
from reconciliation.statement_balance import check_balances


@given(camt_documents())
def test_written_statements_read_back_equal_and_add_up(statements: list[Statement]) -> None:
    xml = write_camt053(statements)
    assert parse_camt053(xml) == statements

    ends = [item for item in iter_camt053(xml) if isinstance(item, StatementEnd)]
    assert [end.entry_count for end in ends] == [len(statement.entries) for statement in statements]
    for statement, end in zip(statements, ends, strict=True):
        check = check_balances(statement)
        assert end.check == check  # streamed and in memory agree
        header = statement.header
        net = sum(entry.signed_minor for entry in statement.entries if entry.status == "BOOK")
        assert check.booked_net_minor == net
        assert check.booked_entries + check.unbooked_entries == len(statement.entries)
        if header.opening_booked is None or header.closing_booked is None:
            assert check.gap_minor is None and not check.balanced
        else:
            assert check.gap_minor == header.closing_booked.signed_minor - (header.opening_booked.signed_minor + net)
            assert check.balanced == (check.gap_minor == 0)
