"""The back-ends behind bill, fine and household-premium services, by code.

A service's fee rule names its back-end (``"biller": "evn"``); pricing finds it in a
``Billers`` registry. ``sandbox_billers()`` is the registry for sandbox mode, the tests and
the demo; live adapters, when they exist, are registered under the same codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

import msgspec
from psycopg import AsyncConnection

from catalogue.billers.protocol import Biller, HouseholdRegistry
from catalogue.billers.sandbox import SandboxBiller, SandboxFixtures, SandboxHouseholdRegistry, add_sandbox_fixtures

__all__ = ["Biller", "Billers", "HouseholdRegistry", "load_sandbox_fixtures", "sandbox_billers"]


@dataclass(frozen=True)
class Billers:
    bills: Mapping[str, Biller]
    households: Mapping[str, HouseholdRegistry]

    def lookup_keys(self, code: str) -> tuple[str, ...] | None:
        """The fields back-end ``code`` looks up by, or None if there is no such back-end."""
        backend = self.bills.get(code) or self.households.get(code)
        return None if backend is None else backend.lookup_keys


def sandbox_billers() -> Billers:
    return Billers(
        bills={biller.code: biller for biller in (
            SandboxBiller("evn", {"customer_code": "subject"}),  # EVN: bills by customer code
            SandboxBiller("tct", {"tax_code": "subject"}),  # tax authority: notices by tax code
            # traffic police: penalty decisions by their number or by the vehicle's plate
            SandboxBiller("csgt", {"decision_number": "reference", "plate_number": "subject"}),
        )},
        households={"bhxh": SandboxHouseholdRegistry("bhxh")},
    )


async def load_sandbox_fixtures(conn: AsyncConnection) -> None:
    """Give the sandboxes the bills, decisions and households in ``data/sandbox.json``
    (the demo's and the manual's examples); idempotent."""
    text = (resources.files("catalogue") / "data" / "sandbox.json").read_bytes()
    await add_sandbox_fixtures(conn, msgspec.json.decode(text, type=SandboxFixtures))
