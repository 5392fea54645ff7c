"""Every route, as TEI answers it, in both compat versions, validated against TEI's OpenAPI."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator

import httpx
import numpy as np
import pytest

from oci_tei_local import LocalServer
from tests.fixtures.tei import OpenAPIValidator

SEED = [
    "The car sped down the highway at an incredible speed.",
    "A vehicle raced along the freeway, moving very fast.",
    "The child was playing in the park with a ball.",
]
TIME_HEADERS = ("x-compute-time", "x-total-time", "x-tokenization-time", "x-queue-time",
                "x-inference-time")  # fmt: skip


@pytest.fixture
def client(server: LocalServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


def test_info(client: httpx.Client, openapi: OpenAPIValidator, compat: str) -> None:
    response = client.get("/info")
    assert response.status_code == 200
    info = response.json()
    openapi.validate("/info", 200, info, method="get")
    assert info["model_id"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert info["model_type"] == {"embedding": {"pooling": "mean"}}
    assert info["model_dtype"] == "float32"
    assert info["max_input_length"] == 256
    assert info["max_client_batch_size"] == 32
    assert info["max_batch_tokens"] == 16384
    assert info["max_concurrent_requests"] == 512
    assert info["max_batch_requests"] is None
    assert info["version"] == {"1.5": "1.5.0", "1.9": "1.9.3"}[compat]
    assert info["auto_truncate"] is (compat == "1.9")
    assert ("served_model_name" in info) is (compat == "1.9")  # added in TEI 1.6
    assert info["tokenization_workers"] >= 1


@pytest.mark.parametrize("path", ["/health", "/", "/ping"])
def test_health_routes(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.content == b""


def test_embed_single_and_batch(
    client: httpx.Client, openapi: OpenAPIValidator, tei_backend: object
) -> None:
    single = client.post("/embed", json={"inputs": SEED[0]})
    assert single.status_code == 200
    openapi.validate("/embed", 200, single.json())
    assert np.array(single.json()).shape == (1, 384)

    batch = client.post("/embed", json={"inputs": SEED})
    assert batch.status_code == 200
    vectors = np.array(batch.json(), dtype=np.float32)
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(vectors[0], single.json()[0], atol=1e-5)
    assert batch.headers["x-compute-type"] == "gpu+optimized"
    assert batch.headers["x-compute-characters"] == str(sum(len(s) for s in SEED))
    assert batch.headers["x-compute-tokens"] == "39"  # the seed's usage: 39 tokens
    for header in TIME_HEADERS:
        assert int(batch.headers[header]) >= 0


def test_seed_sentences_similarity(client: httpx.Client) -> None:
    vectors = np.array(client.post("/embed", json={"inputs": SEED}).json())
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > 0.6
    assert similarity[0, 1] > similarity[0, 2] + 0.4
    assert similarity[0, 1] > similarity[1, 2] + 0.4


def test_embed_options(client: httpx.Client, compat: str) -> None:
    raw = np.array(client.post("/embed", json={"inputs": "hello", "normalize": False}).json()[0])
    assert abs(np.linalg.norm(raw) - 1) > 1e-3  # the pooled vector, not normalized
    cut = client.post("/embed", json={"inputs": "hello", "dimensions": 8}).json()[0]
    if compat == "1.5":
        assert len(cut) == 384  # `dimensions` arrived in TEI 1.8; 1.5 ignores the field
    else:
        assert len(cut) == 8
        expected = raw[:8] / np.linalg.norm(raw[:8])
        np.testing.assert_allclose(cut, expected, atol=1e-6)


def test_token_id_inputs(client: httpx.Client) -> None:
    ids = client.post("/tokenize", json={"inputs": "hello world"}).json()[0]
    token_ids = [token["id"] for token in ids]
    by_ids = client.post("/embed", json={"inputs": token_ids}).json()
    by_text = client.post("/embed", json={"inputs": "hello world"}).json()
    np.testing.assert_allclose(by_ids, by_text, atol=1e-6)
    mixed = client.post("/embed", json={"inputs": ["hello world", token_ids]})
    assert mixed.status_code == 200
    np.testing.assert_allclose(mixed.json()[0], mixed.json()[1], atol=1e-6)


@pytest.mark.parametrize("path", ["/v1/embeddings", "/embeddings"])
def test_openai_route(
    client: httpx.Client, openapi: OpenAPIValidator, server: LocalServer, path: str
) -> None:
    response = client.post(path, json={"input": SEED, "model": "anything"})
    assert response.status_code == 200
    body = response.json()
    openapi.validate("/v1/embeddings", 200, body)
    assert body["object"] == "list"
    assert [item["index"] for item in body["data"]] == [0, 1, 2]
    assert all(item["object"] == "embedding" for item in body["data"])
    assert body["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert body["usage"] == {"prompt_tokens": 39, "total_tokens": 39}

    encoded = client.post(path, json={"input": SEED, "encoding_format": "base64"}).json()
    openapi.validate("/v1/embeddings", 200, encoded)
    for plain, packed in zip(body["data"], encoded["data"], strict=True):
        decoded = np.frombuffer(base64.b64decode(packed["embedding"]), dtype="<f4")
        # Two requests: the server may batch each with other traffic, and padding moves the
        # last bits; what this checks is that base64 carries the same float32 vector.
        np.testing.assert_allclose(
            decoded, np.array(plain["embedding"], dtype=np.float32), rtol=0, atol=1e-6
        )


def test_openai_single_input_and_dimensions(client: httpx.Client, compat: str) -> None:
    body = client.post("/v1/embeddings", json={"input": "hello", "dimensions": 16}).json()
    assert len(body["data"]) == 1
    assert len(body["data"][0]["embedding"]) == (384 if compat == "1.5" else 16)
    assert body["usage"]["prompt_tokens"] == 3


def test_served_model_name(start_tei_server: Callable[..., LocalServer]) -> None:
    server = start_tei_server(served_model_name="my-embedder")
    body = httpx.post(server.url + "/v1/embeddings", json={"input": "x"}).json()
    assert body["model"] == "my-embedder"
    assert httpx.get(server.url + "/info").json()["served_model_name"] == "my-embedder"


def test_embed_all(client: httpx.Client, openapi: OpenAPIValidator) -> None:
    response = client.post("/embed_all", json={"inputs": ["hello", "hello world"]})
    assert response.status_code == 200
    openapi.validate("/embed_all", 200, response.json())
    first, second = response.json()
    assert np.array(first).shape == (3, 384)  # [CLS] hello [SEP]
    assert np.array(second).shape == (4, 384)
    pooled = client.post("/embed", json={"inputs": "hello", "normalize": False}).json()[0]
    np.testing.assert_allclose(np.mean(first, axis=0), pooled, atol=1e-5)
    # EmbedAllRequest has no `normalize`: serde ignores unknown fields, whatever their type.
    ignored = client.post("/embed_all", json={"inputs": "hello", "normalize": "n/a"})
    assert ignored.status_code == 200


def test_embed_sparse_needs_splade(client: httpx.Client, openapi: OpenAPIValidator) -> None:
    response = client.post("/embed_sparse", json={"inputs": "hello"})
    assert response.status_code == 424
    openapi.validate("/embed_sparse", 424, response.json())
    assert response.json() == {
        "error": "Backend error: Model is not an embedding model with SPLADE pooling",
        "error_type": "Backend",
    }


def test_similarity(client: httpx.Client, openapi: OpenAPIValidator) -> None:
    body = {"inputs": {"source_sentence": SEED[0], "sentences": SEED[1:]}}
    response = client.post("/similarity", json=body)
    assert response.status_code == 200
    openapi.validate("/similarity", 200, response.json())
    vectors = np.array(client.post("/embed", json={"inputs": SEED}).json())
    np.testing.assert_allclose(response.json(), vectors[0] @ vectors[1:].T, atol=1e-5)


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/predict", {"inputs": "hello"}, "Backend error: Model is not a classifier model"),
        (
            "/predict",
            {"inputs": [["a", "b"], ["c"]]},
            "Backend error: Model is not a classifier model",
        ),
        (
            "/rerank",
            {"query": "q", "texts": ["a"]},
            "Backend error: model is not a re-ranker model",
        ),
    ],
)
def test_classifier_routes_refuse_embedding_model(
    client: httpx.Client, openapi: OpenAPIValidator, path: str, body: object, message: str
) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 424
    openapi.validate(path, 424, response.json())
    assert response.json() == {"error": message, "error_type": "Backend"}


def test_rerank_checks_empty_texts_first(client: httpx.Client, compat: str) -> None:
    response = client.post("/rerank", json={"query": "q", "texts": []})
    if compat == "1.5":
        assert response.status_code == 413
        assert response.json() == {"error": "`texts` cannot be empty", "error_type": "Validation"}
    else:
        assert response.status_code == 400
        assert response.json() == {"error": "`texts` cannot be empty", "error_type": "Empty"}


def test_tokenize(client: httpx.Client, openapi: OpenAPIValidator) -> None:
    response = client.post("/tokenize", json={"inputs": "héllo world"})
    assert response.status_code == 200
    openapi.validate("/tokenize", 200, response.json())
    assert response.json() == [
        [
            {"id": 101, "text": "[CLS]", "special": True, "start": None, "stop": None},
            {"id": 7592, "text": "héllo", "special": False, "start": 0, "stop": 6},  # bytes
            {"id": 2088, "text": "world", "special": False, "start": 7, "stop": 12},
            {"id": 102, "text": "[SEP]", "special": True, "start": None, "stop": None},
        ]
    ]
    plain = client.post("/tokenize", json={"inputs": ["a", "b c"], "add_special_tokens": False})
    assert [[t["text"] for t in item] for item in plain.json()] == [["a"], ["b", "c"]]


def test_decode(client: httpx.Client, openapi: OpenAPIValidator) -> None:
    response = client.post("/decode", json={"ids": [101, 7592, 102]})
    assert response.status_code == 200
    openapi.validate("/decode", 200, response.json())
    assert response.json() == ["hello"]
    raw = client.post("/decode", json={"ids": [[101, 7592, 102]], "skip_special_tokens": False})
    assert raw.json() == ["[CLS] hello [SEP]"]


@pytest.mark.parametrize("path", ["/", "/invocations"])
def test_root_post_embeds(client: httpx.Client, path: str) -> None:
    response = client.post(path, json={"inputs": ["hello"]})
    assert response.status_code == 200
    assert np.array(response.json()).shape == (1, 384)


def test_vertex(client: httpx.Client) -> None:
    body = {"instances": [{"inputs": "hello"}, {"inputs": ["a", "b"], "normalize": False}]}
    response = client.post("/vertex", json=body)
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    assert [np.array(p).shape for p in predictions] == [(1, 384), (2, 384)]
    bad = client.post("/vertex", json={"instances": [{"text": "x"}]})
    assert bad.json() == {"error": "missing field `inputs`", "error_type": "Validation"}
    rerank = client.post("/vertex", json={"instances": [{"query": "q", "texts": ["a"]}]})
    assert rerank.status_code == 424


def test_sentence_similarity_task(start_tei_server: Callable[..., LocalServer]) -> None:
    server = start_tei_server(task="sentence-similarity")
    body = {"inputs": {"source_sentence": SEED[0], "sentences": SEED[1:]}}
    response = httpx.post(server.url + "/", json=body)
    assert response.status_code == 200
    assert len(response.json()) == 2


def test_metrics_route(client: httpx.Client) -> None:
    client.post("/embed", json={"inputs": "count me"})
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    for name in (
        'te_request_count{method="single"}',
        'te_request_success{method="single"}',
        "te_embed_count",
        "te_request_duration_bucket",
        "te_request_input_length_bucket",
        "te_batch_next_size_count",
        "te_queue_size",
    ):
        assert name in text


def test_openai_errors_follow_teis_wire_format(
    client: httpx.Client, openapi: OpenAPIValidator, compat: str
) -> None:
    # TEI's OpenAPI document names the field `error_type`, but its serializer renames it to
    # `type` (`#[serde(rename(serialize = "type"))]`): clients see `type`, and so do ours.
    assert (
        "error_type"
        in openapi.spec["components"]["schemas"]["OpenAICompatErrorResponse"]["required"]
    )
    response = client.post("/v1/embeddings", json={"input": [""]})
    status, kind = {"1.5": (413, "Validation"), "1.9": (400, "Empty")}[compat]
    assert response.status_code == status
    assert response.json() == {
        "message": "Input validation error: `inputs` cannot be empty",
        "code": status,
        "type": kind,
    }
