"""What every checkout page must pass, checked in the browser on the rendered page.

axe-core (the engine behind Lighthouse's and most audits' accessibility checks) runs in
the pages with JavaScript on; it comes inside the ``axe-playwright-python`` wheel, so no
CDN is involved. It needs JavaScript to run, so the structural checks below (which need
none from the page) run on every page, also with JavaScript off, and say in plain terms
what GOV.UK's patterns require: a language, one h1, headings in order, a label for every
field, alt text, error-summary links that lead to a field.
"""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

AXE = Axe()
AXE_RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
             "resultTypes": ["violations"]}
HEADING_LEVELS = "els => els.map(e => Number(e.tagName[1]))"
UNLABELLED_FIELDS = """els => els.filter(e => !(e.id && document.querySelector(`label[for="${e.id}"]`))
                                         && !e.getAttribute('aria-label')).map(e => e.outerHTML)"""
BROKEN_SUMMARY_LINKS = """els => els.filter(a => { const id = a.getAttribute('href').slice(1);
                                                   return !id || !document.getElementById(id); }).map(a => a.href)"""


def structural_problems(page: Page) -> list[str]:
    problems = []
    if page.get_attribute("html", "lang") not in ("vi", "en"):
        problems.append("<html> has no lang of vi or en")
    if not page.title().strip():
        problems.append("the page has no title")
    # The error summary's h2 comes before the h1 in GOV.UK's pattern, so that it is read first.
    levels = page.eval_on_selector_all(":is(h1, h2, h3, h4, h5, h6):not(.error-summary-title)", HEADING_LEVELS)
    if levels.count(1) != 1 or levels[0] != 1:
        problems.append(f"one h1 first, then the rest: {levels}")
    if any(later - earlier > 1 for earlier, later in zip(levels, levels[1:])):
        problems.append(f"a heading level is skipped: {levels}")
    fields = "input:not([type=hidden]):not([type=submit]), select, textarea"
    problems += [f"no label: {html}" for html in page.eval_on_selector_all(fields, UNLABELLED_FIELDS)]
    problems += [f"image without alt: {src}" for src in page.eval_on_selector_all(
        "img", "els => els.filter(e => !e.getAttribute('alt')).map(e => e.src.slice(0, 60))")]
    problems += [f"error summary link leads nowhere: {href}"
                 for href in page.eval_on_selector_all(".error-summary-list a", BROKEN_SUMMARY_LINKS)]
    problems += [f"language link without its lang: {html}" for html in page.eval_on_selector_all(
        "a[hreflang]", "els => els.filter(e => e.lang !== e.hreflang).map(e => e.outerHTML)")]
    return problems


def check_page(page: Page, *, javascript: bool) -> None:
    problems = structural_problems(page)
    if javascript:
        results = AXE.run(page, options=AXE_RULES).response
        problems += [f"axe {v['id']}: {v['help']} ({len(v['nodes'])}×: {v['nodes'][0]['html'][:120]})"
                     for v in results["violations"]]
    assert not problems, f"{page.url}:\n" + "\n".join(problems)
