"""Authent and the WebSocket challenge signature reproduce the documented vectors exactly."""

from __future__ import annotations

import hashlib

import pytest

from src.brokers.kraken_futures.rest.signing import (
    NonceSource,
    SigningKey,
    sign_challenge,
    sign_request,
)
from src.core.errors import ConfigurationError

SDK_SECRET = "cHl0aG9uLWtyYWtlbi1zZGsgdW5pdC10ZXN0IHNlY3JldCB2YWx1ZQ=="
DOC_SECRET = (
    "7zxMEF5p/Z8l2p2U7Ghv6x14Af+Fx+92tPgUdVQ748FOIrEoT9bgT+bTRfXc5pz8na+hL/QdrCVG7bh9KpT0eMTm"
)

# shared/kraken-futures-api.md section 2.1: V1 is python-kraken-sdk's golden value, V2-V4 ours.
VECTORS = [
    (
        "V1",
        SDK_SECRET,
        "1616492376594",
        "/api/v3/sendorder",
        "orderType=lmt&symbol=PI_XBTUSD",
        "Txi+gJVXe3EN1brXYQ46FuV6UVtEVSKhc6dYMhPb7a/HXZLGvO6m9UUg+KVKqhLxrbllOPI7qRkHYmPfJZZSGA==",
    ),
    (
        "V2",
        DOC_SECRET,
        "1415957147987",
        "/api/v3/orderbook",
        "symbol=fi_xbtusd_180615",
        "JHLjN8OUDYaXjHRGT0z4nUvJorORrXoL9omot4BK5ihtp6jKHPHfzX9MrpVjqAgKqGJejoO3gySwoVCMJQlx/Q==",
    ),
    (
        "V3",
        DOC_SECRET,
        "",
        "/api/v3/sendorder",
        "orderType=lmt&symbol=PF_XBTUSD&side=buy&size=1&limitPrice=10000",
        "bm8Tq5Bma0NBskDByEuGWhnBVoM5QT8OA4yTmRpFCu/UpOHBYyqTy81VDi1re+huxzH0iNotV+EEpn/7YQwpvg==",
    ),
    (
        "V4a",
        DOC_SECRET,
        "1415957147987",
        "/api/v3/batchorder",
        'json={"batchOrder":[{"order":"cancel","order_id":"3d080c9b-6a50-45c1-8365-11c00295f011"}]}',
        "gfFDdTVdT9fGcDWPmEcIuLW150lqRgIzPggZLP/MG1qOq7UDMHje43JgFnn/ha+ePyX1ajfE2qrSKRlQf/yVqQ==",
    ),
    (
        "V4b",
        DOC_SECRET,
        "1415957147987",
        "/api/v3/batchorder",
        "json=%7B%22batchOrder%22%3A+%5B%7B%22order%22%3A+%22cancel%22%2C+%22order_id%22%3A+"
        "%223d080c9b-6a50-45c1-8365-11c00295f011%22%7D%5D%7D",
        "j/uIx9XAp04GguHjU2Zl//EbQZybGOMmobV6+Ok8X8NuFaR/R8qFOXJC8ZV3P4KT5xPigPafHiabqQfyInak+Q==",
    ),
]


@pytest.mark.parametrize(("name", "secret", "nonce", "path", "data", "expected"), VECTORS)
def test_authent_vectors(
    name: str, secret: str, nonce: str, path: str, data: str, expected: str
) -> None:
    assert sign_request(path, nonce, data, secret) == expected, name
    assert SigningKey(secret).sign(path, nonce, data) == expected


def test_v1_intermediate_sha256() -> None:
    message = "orderType=lmt&symbol=PI_XBTUSD1616492376594/api/v3/sendorder"
    assert (
        hashlib.sha256(message.encode()).hexdigest()
        == "a569742ec18b414ed77641dd30f2ab360134dd34ebf48e366cc1fa38320b0ec0"
    )


def test_websocket_challenge_vector_from_kraken_docs() -> None:
    expected = (
        "4JEpF3ix66GA2B+ooK128Ift4XQVtc137N9yeg4Kqsn9PI0Kpzbysl9M1IeCEdjg0zl00wkVqcsnG4bmnlMb3A=="
    )
    assert sign_challenge("c100b894-1729-464d-ace1-52dbce11db42", DOC_SECRET) == expected
    assert SigningKey(DOC_SECRET).sign_challenge("c100b894-1729-464d-ace1-52dbce11db42") == expected


def test_kraken_docs_printed_secret_is_not_base64_and_is_refused_without_echo() -> None:
    printed = (
        "rttp4AzwRfYEdQ7R7X8Z/04Y4TZPa97pqCypi3xXxAqftygftnI6H9yGV+OcUOOJeFtZkr8mVwbAndU3Kz4Q+eG"
    )
    with pytest.raises(ConfigurationError) as caught:
        SigningKey(printed)
    assert printed not in str(caught.value)


def test_signing_key_never_shows_the_secret() -> None:
    key = SigningKey(DOC_SECRET)
    assert DOC_SECRET not in repr(key) and DOC_SECRET not in str(key)


def test_nonces_are_strictly_increasing_milliseconds_even_when_the_clock_stalls() -> None:
    now = iter([1000, 1000, 999, 1005])
    source = NonceSource(time_ms=lambda: next(now))
    assert [source.next() for _ in range(4)] == ["1000", "1001", "1002", "1005"]
