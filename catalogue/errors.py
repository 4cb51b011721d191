"""The catalogue's refusals. Each names the field at fault and the reason, with a stable
``code`` for callers to branch on; ``str(error)`` reads ``field: reason``."""

from __future__ import annotations


class CatalogueError(Exception):
    """Base of everything the catalogue refuses."""

    def __init__(self, field: str, code: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.code = code
        self.reason = reason


class InvalidInput(CatalogueError):
    """A caller's value is missing, malformed or outside what the rule allows."""


class NotFound(CatalogueError):
    """No service, agency, bill, household or dossier answers to the value given."""


class Conflict(CatalogueError):
    """The request is well formed but the current state forbids it: an illegal transition,
    a bill already paid, a data file older than the one loaded."""


class InvalidCatalogueData(CatalogueError):
    """A data file or definition is refused; ``field`` is its path (``$.services[3].fee``)."""
