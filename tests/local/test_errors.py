"""Bad input gets TEI's 4xx (its JSON errors, or axum's own rejections), never a 500."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from oci_tei_local import LocalServer
from tests.fixtures.tei import OpenAPIValidator

JSON = {"content-type": "application/json"}
VALIDATION = {"1.5": 413, "1.9": 422}
EMPTY = {"1.5": (413, "Validation"), "1.9": (400, "Empty")}


@pytest.fixture
def client(server: LocalServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client
        # Whatever was sent, the server still serves.
        assert client.post("/embed", json={"inputs": "still alive"}).status_code == 200


def test_empty_batch(client: httpx.Client, compat: str, openapi: OpenAPIValidator) -> None:
    status, kind = EMPTY[compat]
    # serde reads `[]` as one (empty) list of token ids: the tokenizer's message.
    response = client.post("/embed", json={"inputs": []})
    assert response.status_code == status
    body = response.json()
    openapi.validate_component("ErrorResponse", body)
    assert body == {"error": "Input validation error: `inputs` cannot be empty", "error_type": kind}
    empty_text = client.post("/embed", json={"inputs": ["a", ""]})
    assert empty_text.status_code == status
    assert empty_text.json()["error"] == "Input validation error: `inputs` cannot be empty"


def test_empty_batch_without_prefix(client: httpx.Client, compat: str) -> None:
    status, kind = EMPTY[compat]
    response = client.post("/tokenize", json={"inputs": []})
    assert response.status_code == status
    assert response.json() == {"error": "`inputs` cannot be empty", "error_type": kind}
    decode = client.post("/decode", json={"ids": [[1], []]})
    assert decode.json()["error"] == "Input validation error: `input_ids` cannot be empty"
    similarity = {"inputs": {"source_sentence": "a", "sentences": []}}
    response = client.post("/similarity", json=similarity)
    assert response.json() == {"error": "`inputs.sentences` cannot be empty", "error_type": kind}


@pytest.mark.parametrize("path", ["/embed", "/v1/embeddings", "/tokenize", "/embed_all"])
def test_batch_too_large(client: httpx.Client, compat: str, path: str) -> None:
    key = "input" if path == "/v1/embeddings" else "inputs"
    response = client.post(path, json={key: ["a"] * 33})
    assert response.status_code == VALIDATION[compat]
    message = "batch size 33 > maximum allowed batch size 32"
    if path == "/v1/embeddings":
        code = VALIDATION[compat]
        assert response.json() == {"message": message, "code": code, "type": "Validation"}
    else:
        assert response.json() == {"error": message, "error_type": "Validation"}


def test_input_too_long(start_tei_server: Callable[..., LocalServer], compat: str) -> None:
    long_text = "word " * 300  # 302 tokens with [CLS] and [SEP]
    message = "Input validation error: `inputs` must have less than 256 tokens. Given: 302"
    strict = start_tei_server(compat=compat, auto_truncate=False)
    native = httpx.post(strict.url + "/embed", json={"inputs": long_text})
    assert native.status_code == VALIDATION[compat]
    assert native.json() == {"error": message, "error_type": "Validation"}
    openai = httpx.post(strict.url + "/v1/embeddings", json={"input": [long_text]})
    assert openai.json() == {"message": message, "code": VALIDATION[compat], "type": "Validation"}
    # The request's own `truncate` wins over the server default.
    allowed = httpx.post(strict.url + "/embed", json={"inputs": long_text, "truncate": True})
    assert allowed.status_code == 200
    assert allowed.headers["x-compute-tokens"] == "256"


def test_too_many_characters(start_tei_server: Callable[..., LocalServer]) -> None:
    server = start_tei_server(auto_truncate=False)
    response = httpx.post(server.url + "/embed", json={"inputs": "a" * 64_001})
    assert response.json() == {
        "error": "Input validation error: `inputs` must have less than 64000 characters. "
        "Given: 64001",
        "error_type": "Validation",
    }


def test_unknown_prompt_name(client: httpx.Client, compat: str) -> None:
    response = client.post("/embed", json={"inputs": "x", "prompt_name": "query"})
    assert response.status_code == VALIDATION[compat]
    assert response.json()["error"] == (
        "Input validation error: `default-prompt-name` is set to `query` but no prompts were "
        "found in the Sentence Transformers configuration"
    )


def test_dimensions_errors(client: httpx.Client, compat: str) -> None:
    zero = client.post("/embed", json={"inputs": "x", "dimensions": 0})
    large = client.post("/v1/embeddings", json={"input": "x", "dimensions": 385})
    if compat == "1.5":  # the field does not exist yet: ignored
        assert zero.status_code == large.status_code == 200
        return
    assert zero.json() == {
        "error": "Input validation error: `dimensions` should be positive",
        "error_type": "Validation",
    }
    assert large.json()["message"] == (
        "Input validation error: `dimensions` should be smaller than the maximum embedding "
        "dimension."
    )


@pytest.mark.parametrize(
    ("body", "status", "text"),
    [
        (b'{"inputs": ', 400, "Failed to parse the request body as JSON: EOF while parsing"),
        (b"", 400, "Failed to parse the request body as JSON: EOF while parsing a value"),
        (b"{inputs}", 400, "Failed to parse the request body as JSON: key must be a string"),
        (b'{"inputs": NaN}', 400, "Failed to parse the request body as JSON: expected value"),
        (b'{"inputs": "a"} x', 400, "Failed to parse the request body as JSON: trailing"),
        (b'{"inputs": "\xff\xfe"}', 400, "invalid unicode code point at line 1 column 13"),
        (b'{"inputs": "\\ud800"}', 400, "lone leading surrogate"),
        (b"[" * 100_000, 400, "Failed to parse the request body as JSON: recursion limit"),
        (b"{}", 422, "Failed to deserialize the JSON body into the target type: missing field"),
        (b"[1]", 422, "invalid type: sequence, expected struct EmbedRequest"),
        (b'{"inputs": 5}', 422, "inputs: data did not match any variant of untagged enum Input"),
        (b'{"inputs": [1.5]}', 422, "inputs: data did not match any variant"),
        (b'{"inputs": [-1]}', 422, "inputs: data did not match any variant"),
        (b'{"inputs": "a", "normalize": "yes"}', 422, 'normalize: invalid type: string "yes"'),
        (b'{"inputs": "a", "truncate": 1}', 422, "truncate: invalid type: integer `1`"),
        (
            b'{"inputs": "a", "truncation_direction": "up"}',
            422,
            "truncation_direction: unknown variant `up`, expected `Left` or `Right`",
        ),
        (b'{"inputs": "a", "prompt_name": 3}', 422, "prompt_name: invalid type: integer `3`"),
    ],
)
def test_malformed_bodies(client: httpx.Client, body: bytes, status: int, text: str) -> None:
    response = client.post("/embed", content=body, headers=JSON)
    assert response.status_code == status
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert text in response.text


def test_wrong_types_on_the_openai_route(client: httpx.Client, compat: str) -> None:
    response = client.post("/v1/embeddings", json={"input": "a", "encoding_format": "hex"})
    assert response.status_code == 422
    assert "encoding_format: unknown variant `hex`, expected `float` or `base64`" in response.text
    dims = client.post("/v1/embeddings", json={"input": "a", "dimensions": -1})
    # TEI 1.5 has no `dimensions` field, so any value passes unread.
    assert dims.status_code == (200 if compat == "1.5" else 422)


def test_content_type_is_required(client: httpx.Client) -> None:
    response = client.post("/embed", content=b'{"inputs": "a"}')
    assert response.status_code == 415
    assert response.text == "Expected request with `Content-Type: application/json`"
    vendor = client.post(
        "/embed", content=b'{"inputs": "a"}', headers={"content-type": "application/x+json"}
    )
    assert vendor.status_code == 200


def test_payload_limit(start_tei_server: Callable[..., LocalServer], compat: str) -> None:
    server = start_tei_server(compat=compat, payload_limit=1000)
    with httpx.Client(base_url=server.url) as client:
        fits = client.post("/embed", json={"inputs": "a" * 900})
        assert fits.status_code == 200
        declared = client.post("/embed", json={"inputs": "a" * 2000})
        assert declared.status_code == 413
        assert declared.text == "Failed to buffer the request body: length limit exceeded"

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while reading
            yield b'{"inputs": "'
            yield b"a" * 2000
            yield b'"}'

        streamed = client.post("/embed", content=chunks(), headers=JSON)
        assert streamed.status_code == 413
        assert client.post("/embed", json={"inputs": "ok"}).status_code == 200


def test_default_payload_limit_is_two_megabytes(client: httpx.Client) -> None:
    response = client.post("/embed", json={"inputs": "a" * 2_000_000})
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nope", 404),
        ("POST", "/embed/", 404),
        ("GET", "/docs", 404),
        ("GET", "/embed", 405),
        ("POST", "/health", 405),
        ("PUT", "/v1/embeddings", 405),
        ("DELETE", "/info", 405),
    ],
)
def test_unknown_routes_and_methods(
    client: httpx.Client, method: str, path: str, status: int
) -> None:
    response = client.request(method, path)
    assert response.status_code == status
    assert response.content == b""  # axum answers with an empty body


def test_gzip_bodies_are_not_decompressed(client: httpx.Client) -> None:
    import gzip

    body = gzip.compress(b'{"inputs": "a"}')
    response = client.post("/embed", content=body, headers={**JSON, "content-encoding": "gzip"})
    assert response.status_code == 400  # TEI does not decompress request bodies either
