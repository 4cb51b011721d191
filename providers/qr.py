"""QR codes as inline SVG for the checkout page (segno: pure Python, no image files)."""

from __future__ import annotations

import segno


def qr_svg(payload: str) -> str:
    # Error correction M survives a phone screen's glare; the quiet zone of four modules
    # is what banking apps' scanners expect.
    return segno.make(payload, error="m", micro=False).svg_inline(scale=4, border=4)
