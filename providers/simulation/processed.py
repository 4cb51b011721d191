"""What a sandbox actually processed, kept as settlement lines: the daily settlement file
is then these lines written in the provider's format, so a test can parse the file and
compare it with exactly what happened."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from providers.clock import BUSINESS_ZONE
from providers.model import SettlementLine


class ProcessedBook:
    def __init__(self, provider: str, *, fee_basis_points: int, settlement_lag_days: int) -> None:
        assert 0 <= fee_basis_points <= 10_000
        self._provider = provider
        self._fee_basis_points = fee_basis_points
        self._lag = timedelta(days=settlement_lag_days)
        self._lines: list[SettlementLine] = []

    def record(self, kind: Literal["payment", "refund"], *, attempt_ref: str, provider_ref: str,
               amount_minor: int, currency: str, at: datetime) -> SettlementLine:
        assert amount_minor > 0 and at.tzinfo is not None
        # Providers keep their fee on payments; refunds are passed on at face value.
        fee_minor = amount_minor * self._fee_basis_points // 10_000 if kind == "payment" else 0
        line = SettlementLine(
            provider=self._provider, attempt_ref=attempt_ref, provider_ref=provider_ref, kind=kind,
            amount_minor=amount_minor, fee_minor=fee_minor, currency=currency, transacted_at=at,
            settlement_date=at.astimezone(BUSINESS_ZONE).date() + self._lag)
        self._lines.append(line)
        return line

    def lines_for(self, day: date) -> list[SettlementLine]:
        """The lines transacted on ``day``, a business day in Vietnam's time zone."""
        return [line for line in self._lines if line.transacted_at.astimezone(BUSINESS_ZONE).date() == day]
