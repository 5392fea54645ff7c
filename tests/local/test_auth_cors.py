"""``--api-key`` (which routes it protects, per TEI version) and CORS."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from oci_tei_local import LocalServer

KEY = "s3cret-key"
GOOD = {"Authorization": f"Bearer {KEY}"}
PROTECTED = [
    ("POST", "/embed", {"inputs": "a"}),
    ("POST", "/v1/embeddings", {"input": "a"}),
    ("POST", "/embeddings", {"input": "a"}),
    ("POST", "/", {"inputs": "a"}),
    ("POST", "/tokenize", {"inputs": "a"}),
    ("GET", "/info", None),
]
PUBLIC_IN_1_9 = [("GET", "/health"), ("GET", "/"), ("GET", "/ping"), ("GET", "/metrics")]


@pytest.mark.parametrize("compat", ["1.5", "1.9"])
@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
def test_protected_routes(
    start_tei_server: Callable[..., LocalServer],
    compat: str,
    method: str,
    path: str,
    body: object,
) -> None:
    server = start_tei_server(compat=compat, api_key=KEY)
    with httpx.Client(base_url=server.url) as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY},
                        {"Authorization": f"bearer {KEY}"}):  # fmt: skip
            refused = client.request(method, path, json=body, headers=headers)
            assert refused.status_code == 401
            assert refused.content == b""
        assert client.request(method, path, json=body, headers=GOOD).status_code == 200


@pytest.mark.parametrize(("method", "path"), PUBLIC_IN_1_9)
def test_public_routes_in_1_9(
    start_tei_server: Callable[..., LocalServer], method: str, path: str
) -> None:
    server = start_tei_server(api_key=KEY)
    assert httpx.request(method, server.url + path).status_code == 200


@pytest.mark.parametrize(("method", "path"), PUBLIC_IN_1_9)
def test_tei_1_5_protected_every_route(
    start_tei_server: Callable[..., LocalServer], method: str, path: str
) -> None:
    server = start_tei_server(compat="1.5", api_key=KEY)
    assert httpx.request(method, server.url + path).status_code == 401
    assert httpx.request(method, server.url + path, headers=GOOD).status_code == 200


def test_unknown_route_with_api_key(start_tei_server: Callable[..., LocalServer]) -> None:
    assert httpx.get(start_tei_server(api_key=KEY).url + "/nope").status_code == 404
    assert httpx.get(start_tei_server(compat="1.5", api_key=KEY).url + "/nope").status_code == 401


def test_cors_any_origin(tei_server: LocalServer) -> None:
    origin = {"Origin": "http://example.test"}
    response = httpx.post(tei_server.url + "/embed", json={"inputs": "a"}, headers=origin)
    assert response.headers["access-control-allow-origin"] == "*"
    assert "origin" in response.headers["vary"]
    preflight = httpx.options(
        tei_server.url + "/embed",
        headers={**origin, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-methods"] == "GET,POST"
    assert preflight.headers["access-control-allow-headers"] == "content-type"


def test_cors_listed_origins(start_tei_server: Callable[..., LocalServer]) -> None:
    server = start_tei_server(cors_allow_origin=("http://allowed.test",))
    allowed = httpx.get(server.url + "/health", headers={"Origin": "http://allowed.test"})
    assert allowed.headers["access-control-allow-origin"] == "http://allowed.test"
    other = httpx.get(server.url + "/health", headers={"Origin": "http://other.test"})
    assert "access-control-allow-origin" not in other.headers


def test_preflight_with_api_key(start_tei_server: Callable[..., LocalServer]) -> None:
    headers = {"Origin": "http://example.test", "Access-Control-Request-Method": "POST"}
    # TEI 1.9 answers preflights before any key check; 1.5.0 checked the key first.
    assert (
        httpx.options(start_tei_server(api_key=KEY).url + "/embed", headers=headers).status_code
        == 200
    )
    legacy = start_tei_server(compat="1.5", api_key=KEY)
    assert httpx.options(legacy.url + "/embed", headers=headers).status_code == 401
