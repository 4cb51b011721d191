"""What a form shows when its input is refused: one message per field, listed in the error
summary at the top (each linking to its field) and repeated next to the field."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str  # the input's id and name
    message: str

    @staticmethod
    def by_field(errors: list[FieldError]) -> dict[str, str]:
        return {error.field: error.message for error in errors}
