"""Versioned catalogue data files: ``publicpay catalogue load FILE``, and the bundled seed at
first start.

A load is one transaction: the file is decoded and every reference checked before the
first write, and a fault is reported with its path in the file (``$.services[3].agency_code``).
A file adds and updates; it never deletes, since payments and dossiers refer to what it
defined (withdraw a service with ``"active": false``). Loading the version already loaded
changes nothing; the same version with other content, or an older version, is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Literal

import msgspec
from psycopg import AsyncConnection

from catalogue import store
from catalogue.billers import Billers, sandbox_billers
from catalogue.definitions import CatalogueFile, Service
from catalogue.errors import Conflict, InvalidCatalogueData
from catalogue.fees import BillFee, FineFee, HouseholdPremiumFee

# Serialises loads, so that gateway replicas starting together load the seed once.
LOAD_LOCK_KEY = 0x63_61_74_61_6C_6F  # "catalo"


class LoadReport(msgspec.Struct, frozen=True, kw_only=True):
    version: int
    status: Literal["loaded", "unchanged"]
    created: dict[str, int] = {}
    updated: dict[str, int] = {}


def bundled_seed() -> CatalogueFile:
    return read_catalogue_file((resources.files("catalogue") / "data" / "seed.json").read_bytes())


def read_catalogue_file(data: bytes) -> CatalogueFile:
    try:
        return msgspec.json.decode(data, type=CatalogueFile)
    except msgspec.ValidationError as exc:
        reason, _, path = str(exc).partition(" - at `")
        raise InvalidCatalogueData(path.rstrip("`") or "$", "invalid", reason) from None
    except msgspec.DecodeError as exc:
        raise InvalidCatalogueData("$", "malformed_json", str(exc)) from None


def checksum(catalogue: CatalogueFile) -> str:
    """Of the content, not the bytes: re-indenting a file does not make it another version."""
    return hashlib.sha256(msgspec.json.encode(catalogue, order="sorted")).hexdigest()


async def load_catalogue_file(conn: AsyncConnection, path: Path, *, billers: Billers | None = None) -> LoadReport:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidCatalogueData("$", "unreadable", f"cannot read {path}: {exc.strerror}") from None
    return await load_catalogue(conn, read_catalogue_file(data), billers=billers)


async def ensure_seed_loaded(conn: AsyncConnection, *, billers: Billers | None = None) -> LoadReport | None:
    """Load the bundled seed if the catalogue is empty or older than it; for start-up."""
    seed = bundled_seed()
    current = await loaded_version(conn)
    if current is not None and current >= seed.version:
        return None
    return await load_catalogue(conn, seed, billers=billers)


async def loaded_version(conn: AsyncConnection) -> int | None:
    row = await (await conn.execute("SELECT max(version) FROM catalogue.data_versions")).fetchone()
    return row[0]


async def load_catalogue(conn: AsyncConnection, catalogue: CatalogueFile, *, billers: Billers | None = None) -> LoadReport:
    """Apply a decoded data file, all of it or none of it."""
    digest = checksum(catalogue)
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOAD_LOCK_KEY,))
        if await _already_loaded(conn, catalogue.version, digest):
            return LoadReport(version=catalogue.version, status="unchanged")
        parents = dict(await (await conn.execute("SELECT code, parent_code FROM catalogue.agencies")).fetchall())
        check_references(catalogue, parents, billers or sandbox_billers())
        counts = {
            "agencies": await store.save_agencies(conn, catalogue.agencies),
            "base_salaries": await store.save_base_salaries(conn, catalogue.base_salaries),
            "violations": await store.save_violations(conn, catalogue.violations),
            "services": await store.save_services(conn, catalogue.services),
        }
        await conn.execute("INSERT INTO catalogue.data_versions (version, checksum) VALUES (%s, %s)",
                           (catalogue.version, digest))
    return LoadReport(version=catalogue.version, status="loaded",
                      created={name: c for name, (c, _) in counts.items()},
                      updated={name: u for name, (_, u) in counts.items()})


async def _already_loaded(conn: AsyncConnection, version: int, digest: str) -> bool:
    latest, same_version = await (await conn.execute(
        "SELECT max(version), max(checksum) FILTER (WHERE version = %s) FROM catalogue.data_versions",
        (version,))).fetchone()
    if latest is not None and version < latest:
        raise Conflict("$.version", "older_than_loaded", f"version {version} is older than the loaded version {latest}")
    if same_version is not None and same_version != digest:
        raise Conflict("$.version", "version_reused",
                       f"version {version} is already loaded with other content; give the file a new version")
    return same_version is not None


def check_references(catalogue: CatalogueFile, parents: Mapping[str, str | None], billers: Billers) -> None:
    """Everything one Struct cannot check alone: unique codes, known agencies and billers,
    no agency its own ancestor. ``parents`` are the agencies already in the catalogue."""
    _check_unique("agencies", [a.code for a in catalogue.agencies])
    _check_unique("services", [s.code for s in catalogue.services])
    _check_unique("violations", [v.code for v in catalogue.violations])
    _check_unique("base_salaries", [s.effective_from for s in catalogue.base_salaries])
    parents = dict(parents) | {a.code: a.parent_code for a in catalogue.agencies}
    for i, agency in enumerate(catalogue.agencies):
        if agency.parent_code is not None and agency.parent_code not in parents:
            raise InvalidCatalogueData(f"$.agencies[{i}].parent_code", "unknown_agency",
                                       f"no agency {agency.parent_code!r}")
        seen, code = {agency.code}, agency.parent_code
        while code is not None:
            if code in seen:
                raise InvalidCatalogueData(f"$.agencies[{i}].parent_code", "parent_cycle",
                                           f"agency {agency.code} would be its own ancestor")
            seen.add(code)
            code = parents.get(code)
    for i, service in enumerate(catalogue.services):
        _check_service(f"$.services[{i}]", service, parents, billers)


def _check_service(path: str, service: Service, agencies: Mapping[str, str | None], billers: Billers) -> None:
    if service.agency_code not in agencies:
        raise InvalidCatalogueData(f"{path}.agency_code", "unknown_agency", f"no agency {service.agency_code!r}")
    unknown_parties = sorted(service.split.parties - set(agencies)) if service.split else []
    if unknown_parties:
        raise InvalidCatalogueData(f"{path}.split", "unknown_agency",
                                   f"no agency {unknown_parties[0]!r} to receive a share")
    match service.fee:
        case BillFee(biller=code, lookup_field=field):
            backend, wanted = code, [field]
        case FineFee(biller=code, lookup_fields=fields):
            backend, wanted = code, fields
        case HouseholdPremiumFee(registry=code, lookup_field=field):
            backend, wanted = code, [field]
        case _:
            return
    keys = billers.lookup_keys(backend)
    if keys is None:
        raise InvalidCatalogueData(f"{path}.fee", "unknown_biller", f"no biller {backend!r}")
    for field in wanted:
        if field not in keys:
            raise InvalidCatalogueData(f"{path}.fee", "unknown_lookup_key",
                                       f"biller {backend} looks up by {', '.join(keys)}, not {field!r}")


def _check_unique(section: str, keys: list) -> None:
    seen = set()
    for i, key in enumerate(keys):
        if key in seen:
            raise InvalidCatalogueData(f"$.{section}[{i}]", "duplicate", f"{key} appears twice")
        seen.add(key)
