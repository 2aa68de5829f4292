"""The venue's own verifier accepts Kraken's documented signatures in every client's form."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from src.venues.kraken_futures_paper.auth import AuthFailure, KeyRing

DOC_SECRET = (
    "7zxMEF5p/Z8l2p2U7Ghv6x14Af+Fx+92tPgUdVQ748FOIrEoT9bgT+bTRfXc5pz8na+hL/QdrCVG7bh9KpT0eMTm"
)
SDK_SECRET = "cHl0aG9uLWtyYWtlbi1zZGsgdW5pdC10ZXN0IHNlY3JldCB2YWx1ZQ=="


def ring(secret: str = DOC_SECRET) -> KeyRing:
    keys = KeyRing()
    keys.create("demo", "K", secret)
    return keys


def test_v1_sdk_golden_value_on_a_post_body() -> None:
    authent = (
        "Txi+gJVXe3EN1brXYQ46FuV6UVtEVSKhc6dYMhPb7a/HXZLGvO6m9UUg+KVKqhLxrbllOPI7qRkHYmPfJZZSGA=="
    )
    key = ring(SDK_SECRET).verify(
        "K", authent, "1616492376594", "/derivatives/api/v3/sendorder", "",
        "orderType=lmt&symbol=PI_XBTUSD", "POST",
    )  # fmt: skip
    assert key.account == "demo"


def test_v2_get_with_query_and_v3_ccxt_style_without_nonce_in_the_query() -> None:
    keys = ring()
    v2 = "JHLjN8OUDYaXjHRGT0z4nUvJorORrXoL9omot4BK5ihtp6jKHPHfzX9MrpVjqAgKqGJejoO3gySwoVCMJQlx/Q=="
    keys.verify("K", v2, "1415957147987", "/derivatives/api/v3/orderbook",
                "symbol=fi_xbtusd_180615", "", "GET")  # fmt: skip
    v3 = "bm8Tq5Bma0NBskDByEuGWhnBVoM5QT8OA4yTmRpFCu/UpOHBYyqTy81VDi1re+huxzH0iNotV+EEpn/7YQwpvg=="
    data = "orderType=lmt&symbol=PF_XBTUSD&side=buy&size=1&limitPrice=10000"
    keys.verify("K", v3, "", "/derivatives/api/v3/sendorder", data, "", "POST")


def test_v4_batch_raw_and_url_encoded() -> None:
    raw = (
        'json={"batchOrder":[{"order":"cancel","order_id":"3d080c9b-6a50-45c1-8365-11c00295f011"}]}'
    )
    v4a = "gfFDdTVdT9fGcDWPmEcIuLW150lqRgIzPggZLP/MG1qOq7UDMHje43JgFnn/ha+ePyX1ajfE2qrSKRlQf/yVqQ=="
    ring().verify("K", v4a, "1415957147987", "/derivatives/api/v3/batchorder", "", raw, "POST")
    encoded = (
        "json=%7B%22batchOrder%22%3A+%5B%7B%22order%22%3A+%22cancel%22%2C+%22order_id%22%3A+"
        "%223d080c9b-6a50-45c1-8365-11c00295f011%22%7D%5D%7D"
    )
    v4b = "j/uIx9XAp04GguHjU2Zl//EbQZybGOMmobV6+Ok8X8NuFaR/R8qFOXJC8ZV3P4KT5xPigPafHiabqQfyInak+Q=="
    ring().verify("K", v4b, "1415957147987", "/derivatives/api/v3/batchorder", "", encoded, "POST")


def test_kraken_cli_signs_gets_with_empty_post_data() -> None:
    key = base64.b64decode(DOC_SECRET)
    digest = hashlib.sha256(("" + "123" + "/api/v3/openorders").encode()).digest()
    authent = base64.b64encode(hmac.new(key, digest, hashlib.sha512).digest()).decode()
    ring().verify("K", authent, "123", "/derivatives/api/v3/openorders", "x=1", "", "GET")


def test_wrong_signature_and_unknown_key() -> None:
    with pytest.raises(AuthFailure, match="authenticationError"):
        ring().verify("K", "AAAA", "1", "/derivatives/api/v3/accounts", "", "", "GET")
    with pytest.raises(AuthFailure, match="authenticationError"):
        ring().verify("nobody", "AAAA", "1", "/derivatives/api/v3/accounts", "", "", "GET")


def _sign(nonce: str, path: str = "/api/v3/accounts") -> str:
    digest = hashlib.sha256((nonce + path).encode()).digest()
    mac = hmac.new(base64.b64decode(DOC_SECRET), digest, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode()


def test_nonce_duplicate_and_below_threshold() -> None:
    keys = ring()
    path = "/derivatives/api/v3/accounts"
    keys.verify("K", _sign("100000"), "100000", path, "", "", "GET")
    with pytest.raises(AuthFailure, match="nonceDuplicate"):
        keys.verify("K", _sign("100000"), "100000", path, "", "", "GET")
    keys.verify("K", _sign("99999"), "99999", path, "", "", "GET")  # out of order, tolerated
    with pytest.raises(AuthFailure, match="nonceBelowThreshold"):
        keys.verify("K", _sign("80000"), "80000", path, "", "", "GET")


def test_challenge_is_checked_against_kraken_s_documented_vector() -> None:
    keys = ring()
    api_key = keys.keys["K"]
    api_key.challenges.add("c100b894-1729-464d-ace1-52dbce11db42")
    signed = (
        "4JEpF3ix66GA2B+ooK128Ift4XQVtc137N9yeg4Kqsn9PI0Kpzbysl9M1IeCEdjg0zl00wkVqcsnG4bmnlMb3A=="
    )
    assert keys.verify_challenge("K", "c100b894-1729-464d-ace1-52dbce11db42", signed) is api_key
    with pytest.raises(AuthFailure):
        keys.verify_challenge("K", "c100b894-1729-464d-ace1-52dbce11db42", "bad")
    with pytest.raises(AuthFailure):  # a challenge the venue never issued
        keys.verify_challenge("K", "00000000-0000-0000-0000-000000000000", signed)
    issued = keys.challenge("K")
    assert len(issued) == 36 and issued in api_key.challenges
