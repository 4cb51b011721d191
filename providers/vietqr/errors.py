"""VietQR's refusals. All are ``ValueError``s: the input, not the system, is wrong."""

from __future__ import annotations


class VietQRError(ValueError):
    """Base of everything the VietQR codec refuses."""


class QREncodeError(VietQRError):
    """A value that cannot be put in an EMVCo QR payload (too long, wrong characters)."""


class QRDecodeError(VietQRError):
    """A payload that is not a well-formed VietQR; the message names the data object."""


class QRChecksumError(QRDecodeError):
    """The payload's CRC (data object 63) does not match its content: it was altered."""

    def __init__(self, found: str, expected: str) -> None:
        super().__init__(f"CRC (data object 63) is {found!r} but the payload's CRC-16/CCITT-FALSE is {expected!r}")
        self.found = found
        self.expected = expected
