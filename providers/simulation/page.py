"""The sandbox's payment page: what is being paid, and one button per outcome."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape

from litestar import Response

from providers.simulation.scenarios import UNKNOWN_SCENARIO, Scenario

_LABELS = {
    Scenario.SUCCESS: "Thanh toán thành công / Pay",
    Scenario.DECLINE: "Từ chối / Decline",
    Scenario.TIMEOUT: "Hết thời gian chờ / Time out",
    Scenario.NEVER_CALLS_BACK: "Không gọi lại / Never call back",
    Scenario.CALLS_BACK_FIVE_TIMES: "Gọi lại 5 lần / Call back five times",
    Scenario.WRONG_AMOUNT: "Sai số tiền / Wrong amount",
    Scenario.LATE: "Gọi lại trễ / Call back hours late",
}


def outcome_page(title: str, facts: Mapping[str, str], action: str, hidden: Mapping[str, str],
                 extra_fields: Iterable[str] = ()) -> str:
    """A plain HTML form posting ``hidden`` and the chosen ``scenario`` to ``action``.
    ``extra_fields`` are pre-escaped form controls a provider adds (VietQR's description)."""
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in facts.items())
    inputs = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in hidden.items())
    buttons = "".join(f'<button name="scenario" value="{s.value}">{escape(_LABELS[s])}</button> ' for s in Scenario)
    return (f'<!doctype html><html lang="vi"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width"><title>{escape(title)}</title></head>'
            f'<body><h1>{escape(title)} — sandbox</h1><table>{rows}</table>'
            f'<form method="post" action="{escape(action)}">{inputs}{"".join(extra_fields)}'
            f'<p>{buttons}</p></form></body></html>')


def html_response(text: str, status_code: int = 200) -> Response[str]:
    return Response(text, status_code=status_code, media_type="text/html; charset=utf-8")


def unknown_scenario_page(title: str) -> Response[str]:
    return html_response(message_page(title, f"Kịch bản không hợp lệ: {UNKNOWN_SCENARIO}"), 400)


def message_page(title: str, reason: str) -> str:
    return (f'<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
            f'<body><h1>{escape(title)}</h1><p>{escape(reason)}</p></body></html>')
