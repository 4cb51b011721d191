"""Where a provider's settlement file and the settlement bank's statement for a business
day come from: the reconciliation inbox, where operators (or a transfer job) drop them, or,
for a settlement file not there yet, the provider's adapter (``fetch_settlement``: each
provider's settlement-file endpoint; the sandboxes serve ``GET /settlement/YYYY-MM-DD``).
A fetched file is kept in the inbox, so that every later run of the day reads the same
bytes (a run refuses a day already reconciled from a different file).

    <inbox>/settlements/<provider>/<YYYY-MM-DD>.csv   the provider's file, in its own format
    <inbox>/statements/<bank>/<YYYY-MM-DD>.xml        the camt.053 with that day's net credit
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO

from gateway.settings import Settings
from providers.errors import MalformedMessage, ProviderError
from providers.model import SettlementLine
from providers.protocol import ProviderAdapter
from reconciliation.engine import SettlementParser
from reconciliation.errors import RunRefused, SettlementFormatError


class SettlementFileUnavailable(RunRefused):
    """The provider has no settlement file for the day yet, or could not be reached."""

    code = "settlement_file_unavailable"


@dataclass(frozen=True)
class Inbox:
    root: Path

    @classmethod
    def of(cls, settings: Settings) -> Inbox:
        return cls(Path(settings.reconciliation_inbox or settings.home_path / "reconciliation" / "inbox"))

    def settlement_path(self, provider: str, day: date) -> Path:
        return self.root / "settlements" / provider / f"{day.isoformat()}.csv"

    def statement_path(self, bank: str, day: date) -> Path:
        return self.root / "statements" / bank / f"{day.isoformat()}.xml"

    def statement_if_arrived(self, bank: str, day: date) -> Path | None:
        path = self.statement_path(bank, day)
        return path if path.is_file() else None


def adapter_parser(adapter: ProviderAdapter) -> SettlementParser:
    """The adapter's own format, its refusals as reconciliation's (which name the line)."""

    def parse(stream: BinaryIO) -> list[SettlementLine]:
        try:
            return adapter.parse_settlement(stream.read())
        except MalformedMessage as problem:
            raise SettlementFormatError(problem.reason) from None

    return parse


async def fetch_settlement_file(adapter: ProviderAdapter, day: date) -> bytes:
    """The day's file from the provider, through its adapter."""
    try:
        return await adapter.fetch_settlement(day)
    except ProviderError as problem:
        raise SettlementFileUnavailable(f"{adapter.code}'s settlement file for {day} could not be fetched:"
                                        f" {problem.reason}") from None


async def settlement_file(inbox: Inbox, adapter: ProviderAdapter, day: date) -> Path:
    """The inbox's file for the day, fetched through the adapter first if it is not there."""
    path = inbox.settlement_path(adapter.code, day)
    if not path.is_file():
        keep(path, await fetch_settlement_file(adapter, day))
    return path


def keep(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` whole or not at all (a run never reads half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as partial:
        partial.write(content)
    os.replace(partial.name, path)
