"""The stylesheet's colour pairs meet WCAG 2.1 AA (4.5:1 for text, 3:1 for the focus ring
and input borders), computed from the colours declared in site.css itself."""

from __future__ import annotations

import re

import pytest

from gateway.web.templating import STATIC_DIRECTORY

COLOURS = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6});", (STATIC_DIRECTORY / "site.css").read_text()))
TEXT_PAIRS = [("text", "background"), ("secondary-text", "background"), ("link", "background"),
              ("link-visited", "background"), ("error", "background"), ("button-text", "button"),
              ("text", "secondary-button"), ("header-text", "header"), ("text", "focus"), ("text", "panel"),
              ("secondary-text", "panel"), ("link", "panel"), ("header-text", "success")]
NON_TEXT_PAIRS = [("focus", "text"), ("text", "background"), ("error", "background")]


def luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(one: str, two: str) -> float:
    high, low = sorted((luminance(one), luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_formula_matches_wcag_extremes() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize(("foreground", "background"), TEXT_PAIRS)
def test_text_colours_have_enough_contrast(foreground: str, background: str) -> None:
    assert contrast(COLOURS[foreground], COLOURS[background]) >= 4.5


@pytest.mark.parametrize(("foreground", "background"), NON_TEXT_PAIRS)
def test_focus_and_borders_stand_out(foreground: str, background: str) -> None:
    assert contrast(COLOURS[foreground], COLOURS[background]) >= 3
