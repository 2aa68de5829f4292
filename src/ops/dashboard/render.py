"""Server-side HTML of the dashboard: the page, the login form, and each live panel."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import Any

from src.ops.dashboard.chart import equity_chart

#: Control -> (button label, the question the confirm step asks).
ACTIONS: dict[str, tuple[str, str]] = {
    "pause": (
        "Pause entries",
        "Pause new entries? Orders that add exposure are refused; exits still go out.",
    ),
    "resume": ("Resume entries", "Resume new entries? The strategy may open positions again."),
    "cancel_all": ("Cancel all orders", "Cancel EVERY open order on the account?"),
    "close_all": (
        "Close all positions",
        "Cancel the bot's orders and sell every position at market?",
    ),
    "trip_kill": (
        "Trip kill switch",
        "Trip the kill switch? Open orders are cancelled and no order is sent until it is reset.",
    ),
    "reset_kill": ("Reset kill switch", "Reset the kill switch? The bot may trade again."),
    "reload_risk": ("Reload risk config", "Load the risk limits again from their file?"),
}
CLOSE_QUESTION = "Close the {symbol} position with a market order?"


def _e(value: object) -> str:
    return escape("" if value is None else str(value))


def table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], empty: str, *, raw_last: bool = False
) -> str:
    """Return an HTML table (cells escaped; ``raw_last`` keeps the last cell's HTML as is)."""
    if not rows:
        return f'<p class="muted">{_e(empty)}</p>'
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = [f"<td>{_e(c)}</td>" for c in row]
        if raw_last:
            cells[-1] = f"<td>{row[-1]}</td>"
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _header(s: Mapping[str, Any]) -> str:
    mode = _e(s["mode"])
    banners = []
    if s["kill_switch"]["tripped"]:
        banners.append(
            f'<p class="banner bad" id="kill-banner">KILL SWITCH TRIPPED: '
            f"{_e(s['kill_switch']['reason'])}</p>"
        )
    if s["paused"]:
        banners.append(
            f'<p class="banner warn" id="pause-banner">ENTRIES PAUSED: {_e(s["paused"])}</p>'
        )
    return (
        f'<span class="mode mode-{mode.lower()}" id="mode">{mode}</span> '
        f'<span id="endpoint">{_e(s["endpoint"])}</span> '
        f'<span class="muted">{_e(", ".join(s["symbols"]))} &middot; '
        f"{_e(_when(s['now']))} UTC</span>"
        f"{''.join(banners)}"
    )


def _when(iso: str) -> str:
    """``2026-12-03T09:06:26.93+00:00`` -> ``2026-12-03 09:06:26`` (every time shown is UTC)."""
    return iso.replace("T", " ")[:19]


def _account(s: Mapping[str, Any]) -> str:
    a = s["account"]
    cells = [
        ("equity", a["equity"]),
        ("net PnL", a["net_pnl"]),
        ("realized", a["realized_pnl"]),
        ("unrealized", a["unrealized_pnl"]),
        ("fees", a["fees"]),
        ("fills", a["fills"]),
    ]
    figures = "".join(
        f'<div class="figure"><span class="muted">{_e(k)}</span>'
        f'<b id="fig-{_e(k).replace(" ", "-")}">{_e(v)}</b></div>'
        for k, v in cells
    )
    return f'<div class="figures">{figures}</div>{equity_chart(s["history"])}'


def _positions(s: Mapping[str, Any]) -> str:
    rows = []
    for p in s["positions"]:
        symbol = _e(p["symbol"])
        button = (
            f'<button class="control" data-action="close_position" data-symbol="{symbol}" '
            f'data-confirm="{_e(CLOSE_QUESTION.format(symbol=p["symbol"]))}">Close</button>'
        )
        rows.append(
            [
                p["symbol"],
                p["quantity"],
                p["average_price"],
                p["mark"],
                p["value"],
                p["unrealized_pnl"],
                p["realized_pnl"],
                button,
            ]
        )
    headers = ["symbol", "quantity", "avg price", "mark", "value", "unrealized", "realized", ""]
    return table(headers, rows, "flat: no positions", raw_last=True)


def _orders(s: Mapping[str, Any]) -> str:
    rows = [
        [
            o["symbol"],
            o["side"],
            o["type"],
            o["quantity"],
            o["filled"],
            o["limit_price"],
            o["status"],
            o["order_id"],
            _when(o["created_at"]),
        ]
        for o in s["orders"]
    ]
    headers = [
        "symbol",
        "side",
        "type",
        "quantity",
        "filled",
        "limit",
        "status",
        "order id",
        "created",
    ]
    foreign = s.get("foreign_orders", 0)
    note = (
        (
            f'<p class="muted" id="foreign-orders">{foreign} more open order(s) on the account '
            "that the bot did not place (cancel all cancels them too)</p>"
        )
        if foreign
        else ""
    )
    return table(headers, rows, "no open orders of the bot") + note


def _fills(s: Mapping[str, Any]) -> str:
    rows = [
        [
            _when(f["time"]),
            f["symbol"],
            f["side"],
            f["quantity"],
            f["price"],
            f"{f['fee']} {f['fee_currency']}",
        ]
        for f in s["fills"]
    ]
    return table(["time", "symbol", "side", "quantity", "price", "fee"], rows, "no fills yet")


def _risk(s: Mapping[str, Any]) -> str:
    rows = []
    for g in s["risk"]:
        pct = "" if g["percent"] is None else f"{g['percent']:.0f}%"
        bar = (
            f'<meter class="{_e(g["level"])}" min="0" max="100" low="70" high="99" '
            f'optimum="0" value="{min(g["percent"] or 0, 100):.0f}">{pct}</meter> {_e(pct)}'
        )
        rows.append([g["name"], g["used"], g["limit"], g["note"], bar])
    refusals = ", ".join(f"{k}={v}" for k, v in sorted(s["refusals"].items())) or "none"
    return (
        table(["limit", "used", "limit", "", "how close"], rows, "", raw_last=True)
        + f'<p class="muted">refusals: {_e(refusals)}</p>'
    )


def _switches(s: Mapping[str, Any]) -> str:
    kill = s["kill_switch"]
    kill_text = f"TRIPPED: {kill['reason']}" if kill["tripped"] else "off"
    dead = s["dead_man"]
    rows = [
        [
            "kill switch",
            "bad" if kill["tripped"] else "ok",
            kill_text,
        ],
        ["kill file", "off" if kill["file"] is None else "ok", kill["file"] or "none"],
        [
            "entries",
            "warn" if s["paused"] else "ok",
            f"paused: {s['paused']}" if s["paused"] else "accepted",
        ],
        [dead["name"], dead["level"], dead["detail"]],
    ]
    return _levels(rows, "switches")


def _levels(rows: Sequence[Sequence[str]], name: str) -> str:
    body = "".join(
        f'<tr class="{_e(level)}" data-row="{_e(label)}"><td>{_e(label)}</td>'
        f'<td><span class="dot {_e(level)}"></span>{_e(level)}</td><td>{_e(detail)}</td></tr>'
        for label, level, detail in rows
    )
    return f'<table class="{name}"><tbody>{body}</tbody></table>'


def _health(s: Mapping[str, Any]) -> str:
    return _levels([[h["name"], h["level"], h["detail"]] for h in s["health"]], "health")


def _actions(s: Mapping[str, Any]) -> str:
    rows = [
        [_when(a["at"]), a["actor"], a["action"], a["symbol"] or "", a["outcome"], a["message"]]
        for a in s["actions"]
    ]
    return table(
        ["when", "who", "action", "symbol", "outcome", "result"], rows, "no operator actions yet"
    )


def _log(s: Mapping[str, Any]) -> str:
    return f'<pre id="log-lines">{_e(chr(10).join(s["log"])) or "(no log lines yet)"}</pre>'


#: Panel id -> (title, renderer). The page and ``/api/panels`` use the same renderers.
PANELS: dict[str, tuple[str, Callable[[Mapping[str, Any]], str]]] = {
    "header": ("", _header),
    "account": ("Equity and PnL", _account),
    "positions": ("Positions", _positions),
    "orders": ("Open orders", _orders),
    "fills": ("Recent fills", _fills),
    "risk": ("Risk limits", _risk),
    "switches": ("Kill switch and dead man's switch", _switches),
    "health": ("Connections", _health),
    "actions": ("Operator actions (audit log)", _actions),
    "log": ("Log tail", _log),
}


def panels(snapshot: Mapping[str, Any]) -> dict[str, str]:
    """Return every panel's inner HTML."""
    return {name: render(snapshot) for name, (_, render) in PANELS.items()}


def _controls(reload_file: str | None) -> str:
    buttons = []
    for action, (label, question) in ACTIONS.items():
        if action == "reload_risk" and reload_file:
            question = f"Load the risk limits again from {reload_file}?"
        buttons.append(
            f'<button class="control" data-action="{action}" '
            f'data-confirm="{_e(question)}">{_e(label)}</button>'
        )
    return "".join(buttons)


def page(
    snapshot: Mapping[str, Any], *, csrf: str, actor: str, refresh_ms: int, reload_file: str | None
) -> str:
    """Return the whole dashboard page, every panel filled in (the script keeps them fresh)."""
    inner = panels(snapshot)
    sections = "".join(
        f'<section class="panel" id="panel-{name}"><h2>{_e(title)}</h2>'
        f'<div class="body" data-panel="{name}">{inner[name]}</div></section>'
        for name, (title, _) in PANELS.items()
        if name != "header"
    )
    return _document(
        f"ktrade {snapshot['mode']}",
        f'<meta name="csrf" content="{_e(csrf)}"><meta name="refresh-ms" content="{refresh_ms}">',
        f'<header><div data-panel="header">{inner["header"]}</div>'
        f'<form method="post" action="/logout" class="who"><span>{_e(actor)}</span> '
        f'<input type="hidden" name="csrf" value="{_e(csrf)}">'
        f'<button type="submit">Log out</button></form></header>'
        f'<section class="panel" id="panel-controls"><h2>Controls</h2>'
        f'<div class="controls">{_controls(reload_file)}</div>'
        f'<p id="result" role="status" class="muted">each control asks for confirmation</p>'
        f"</section><main>{sections}</main>"
        '<dialog id="confirm"><p id="confirm-text"></p>'
        '<button id="confirm-yes" class="danger">Confirm</button> '
        '<button id="confirm-no">Back</button></dialog>'
        '<script src="/static/dashboard.js"></script>',
    )


def login_page(error: str | None = None) -> str:
    """Return the login form (token or password, and a name for the audit log)."""
    message = f'<p class="banner bad" id="login-error">{_e(error)}</p>' if error else ""
    return _document(
        "ktrade login",
        "",
        f'<main class="login"><h1>ktrade dashboard</h1>{message}'
        '<form method="post" action="/login">'
        '<label>Your name (for the audit log) <input name="name" id="name" '
        'autocomplete="username"></label>'
        '<label>Token or password <input type="password" name="secret" id="secret" '
        'autocomplete="current-password" required></label>'
        '<button type="submit" id="login">Log in</button></form></main>',
    )


def _document(title: str, head: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">{head}'
        f'<title>{_e(title)}</title><link rel="stylesheet" href="/static/dashboard.css">'
        f"</head><body>{body}</body></html>"
    )
