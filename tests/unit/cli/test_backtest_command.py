"""``ktrade backtest`` on the shipped Kraken candles: terminal report, HTML report, errors."""

from __future__ import annotations

import base64
import re
import struct
from collections.abc import Callable
from html.parser import HTMLParser

from src.cli.metrics import round_trips
from src.core.order_store import OrderStore
from tests.unit.cli.cli_support import Home, Result

METRICS = [
    "total return",
    "CAGR",
    "Sharpe",
    "Sortino",
    "max drawdown",
    "max drawdown duration",
    "win rate",
    "profit factor",
    "exposure",
    "trades",
    "average trade duration",
    "fees",
    "final equity",
]


class Page(HTMLParser):
    """Tables (by class) as lists of rows of cell text, and the images' sources."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.images: dict[str, str] = {}
        self.title = ""
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("class") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "img":
            self.images[a["alt"] or ""] = a["src"] or ""
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._in_title:
            self.title += data


def _png_size(src: str) -> tuple[int, int]:
    prefix = "data:image/png;base64,"
    assert src.startswith(prefix)
    data = base64.b64decode(src[len(prefix) :])
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_backtest_prints_the_report_and_writes_the_html(
    home: Home, ktrade: Callable[..., Result]
) -> None:
    report = home.root / "report.html"
    result = ktrade(
        "backtest",
        "--pairs",
        "BTC/USD",
        "--start",
        "2022-11-15",
        "--compare",
        "--no-progress",
        "--output",
        str(report),
        "--data",
        "files",
    )
    assert result.code == 0, result.err
    terminal = {
        m: re.search(rf"^  {re.escape(m)}\s{{2,}}(.+?)\s{{2,}}(.+)$", result.out, re.M)
        for m in METRICS
    }
    assert all(terminal.values()), [m for m, v in terminal.items() if v is None]

    page = Page()
    page.feed(report.read_text(encoding="utf-8"))
    assert page.title == "Backtest: moving-average cross 3/8 on 60-minute candles"
    metrics = page.tables["metrics"]
    assert metrics[0] == ["metric", "strategy", "buy and hold"]
    assert [row[0] for row in metrics[1:]] == METRICS
    for row in metrics[1:]:  # the HTML shows the very figures the terminal printed
        found = terminal[row[0]]
        assert found is not None
        assert [row[1], row[2]] == [found.group(1).strip(), found.group(2).strip()]

    facts = dict(row for row in page.tables["facts"][1:] if len(row) == 2)
    assert facts["pairs"] == "BTC/USD"
    assert facts["costs"] == "taker fee 0.40 %, spread 2 bps"
    assert facts["period"].startswith("2022-11-15 01:00 to ")

    trades = page.tables["trades"][1:]
    count = int(dict((r[0], r[1]) for r in metrics[1:])["trades"].split()[0])
    assert len(trades) == count > 0
    [pair_row] = page.tables["pairs"][1:]
    assert pair_row[:2] == ["BTC/USD", str(count)]
    # The trades come from the runtime's own database of the replay.
    [db] = [p for p in (home.data / "backtests").glob("*.sqlite") if "buy-and-hold" not in p.name]
    store = OrderStore(db)
    assert len(round_trips(store.fills(), {})) == count
    store.close()

    assert set(page.images) == {"Equity", "Drawdown", "Trades"}
    for src in page.images.values():
        width, height = _png_size(src)
        assert width > 300 and height > 100
    assert f"HTML report: {report.resolve()}" in result.out


def test_backtest_without_candles_says_how_to_get_them(
    home: Home, ktrade: Callable[..., Result]
) -> None:
    result = ktrade("backtest", "--pairs", "DOGE/USD", "--data", "files", "--no-html")
    assert result.code == 2
    assert result.err.splitlines()[-2].startswith("error: no 60-minute candles for DOGE/USD")
    assert result.err.splitlines()[-1] == (
        "  fix: run `ktrade download --pairs DOGE/USD --interval 60` first"
    )


def test_backtest_refuses_bad_ranges_and_costs(home: Home, ktrade: Callable[..., Result]) -> None:
    late = ktrade("backtest", "--pairs", "BTC/USD", "--start", "2030-01-01", "--data", "files")
    assert late.code == 2 and "error: no candles from 2030-01-01 on: the data runs" in late.err
    bad = ktrade("backtest", "--pairs", "BTC/USD", "--start", "yesterday")
    assert bad.code == 2 and "error: --start 'yesterday' is not a date" in bad.err
    fee = ktrade("backtest", "--pairs", "BTC/USD", "--fee", "4", "--data", "files")
    assert fee.code == 2 and "--fee 4 / --spread-bps 2.0: out of range" in fee.err
    window = ktrade("backtest", "--fast", "9", "--slow", "3")
    assert window.code == 2 and "fast 9 must be at least 1 and below slow 3" in window.err


def test_backtest_warns_about_a_pair_the_risk_limits_refuse(
    home: Home, ktrade: Callable[..., Result]
) -> None:
    home.write_config('[risk]\nallowed_pairs = ["ETH/USD"]\n')
    result = ktrade(
        "backtest",
        "--pairs",
        "BTC/USD",
        "--start",
        "2022-12-20",
        "--no-html",
        "--no-progress",
        "--data",
        "files",
    )
    assert result.code == 0, result.err
    assert "WARNING: BTC/USD is not in [risk] allowed_pairs" in result.err
    assert re.search(r"strategy: risk refusals \d+ \(pair_not_allowed=\d+\)", result.out)


def test_a_short_replay_says_its_annualized_figures_mean_little(
    home: Home, ktrade: Callable[..., Result]
) -> None:
    common = ("backtest", "--pairs", "BTC/USD", "--no-progress", "--no-html", "--data", "files")
    short = ktrade(*common, "--start", "2022-12-20", "--end", "2022-12-25")
    assert short.code == 0, short.err
    assert "WARNING: only 5 days replayed: CAGR, Sharpe and Sortino" in short.err
    month = ktrade(*common, "--start", "2022-11-01", "--end", "2022-12-15")
    assert month.code == 0, month.err
    assert "replayed: CAGR" not in month.err
