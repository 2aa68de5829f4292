"""stream_fills without the WebSocket permission polls TradesHistory, each fill once, in order."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import respx

from src.brokers.kraken_adapter import KrakenAdapter
from src.core.clock import ManualClock
from tests.unit.brokers.kraken.kraken_helpers import API_KEY, BASE_URL, DOC_SECRET, fail, load, ok


async def test_stream_fills_dedups_across_polls_and_survives_transient_errors(
    kraken: respx.MockRouter,
) -> None:
    history = load("http_trades_history.json")["result"]["trades"]
    newer = {
        **history["THVRQM-33VKH-UCI7BS"],
        "time": 1688667900.5,
        "ordertxid": "OB5VMB-B4U2U-DK2WRW",
    }
    pages = [
        ok({"trades": {"TCWJEG-FL4SZ-3FKGH6": history["TCWJEG-FL4SZ-3FKGH6"]}, "count": 1}),
        *[fail("EService:Unavailable")] * 4,  # one whole poll fails (4 attempts): skipped
        ok({"trades": history, "count": 2}),
        ok({"trades": {**history, "TNEW01-AAAAA-BBBBBB": newer}, "count": 3}),
    ]
    route = kraken.post("/0/private/TradesHistory").mock(side_effect=pages)
    # A key without "WebSocket interface" (as the user's guide advises): no WS token.
    token = kraken.post("/0/private/GetWebSocketsToken").mock(
        return_value=fail("EGeneral:Permission denied")
    )
    clock = ManualClock(wall_start=datetime(2023, 7, 6, 18, 0, tzinfo=UTC))
    async with KrakenAdapter(
        api_key=API_KEY, api_secret=DOC_SECRET, base_url=BASE_URL, clock=clock
    ) as adapter:
        adapter.fill_poll_interval = 5.0
        seen: list[str] = []
        async for fill in adapter.stream_fills():
            seen.append(fill.fill_id)
            if len(seen) == 3:
                break
    assert seen == ["TCWJEG-FL4SZ-3FKGH6", "THVRQM-33VKH-UCI7BS", "TNEW01-AAAAA-BBBBBB"]
    assert route.call_count == 7
    assert token.call_count == 1
    assert clock.monotonic() >= 10.0  # waited between polls on the injected clock
    assert isinstance(route.calls.last.request, httpx.Request)
