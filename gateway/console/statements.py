"""The console's longer SQL statements, one file each under ``sql/``."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def statement(name: str) -> str:
    return (resources.files("gateway.console") / "sql" / f"{name}.sql").read_text(encoding="utf-8")
