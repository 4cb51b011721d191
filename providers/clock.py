"""Time as providers keep it: Vietnam's business day, and times to the second."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

BUSINESS_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def now_to_the_second() -> datetime:
    """Provider files carry times to the second; keeping no more makes round trips exact."""
    return datetime.now(UTC).replace(microsecond=0)
