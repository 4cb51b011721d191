"""Money and time as Vietnamese readers expect them: ``150.000 ₫`` (dots between thousands,
the sign after, a no-break space so the sign never wraps alone) and dates as dd/mm/yyyy in
Asia/Ho_Chi_Minh, whatever the server's zone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

PORTAL_TIME_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
NO_BREAK_SPACE = "\u00a0"


def format_vnd(amount_minor: int) -> str:
    """``150000`` → ``150.000 ₫`` (đồng has no minor unit: ISO 4217 exponent 0)."""
    sign = "-" if amount_minor < 0 else ""
    return f"{sign}{abs(amount_minor):,}".replace(",", ".") + f"{NO_BREAK_SPACE}₫"


def format_local_datetime(moment: datetime) -> str:
    """An aware time as ``22/11/2026 18:33`` in Vietnam."""
    assert moment.tzinfo is not None, "naive datetimes have no place in a payment system"
    return moment.astimezone(PORTAL_TIME_ZONE).strftime("%d/%m/%Y %H:%M")


def format_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")
