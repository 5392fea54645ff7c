"""The client against the real local TEI server: real HTTP, real model, real vectors."""

import asyncio
import math

import pytest

from oci_tei import errors
from oci_tei.client import EmbeddingClient

SEED = [
    "The car sped down the highway at an incredible speed.",
    "A vehicle raced along the freeway, moving very fast.",
    "The child was playing in the park with a ball.",
]


def cosine(a, b):
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


@pytest.fixture(scope="module")
def texts():
    return [f"passage number {i}: {SEED[i % 3]}" for i in range(150)]


@pytest.fixture(scope="module")
def reference(tei_server, texts):
    """Each text embedded alone, in its own request."""
    with EmbeddingClient(endpoint=tei_server.url, batch_size=1, max_concurrency=1) as client:
        return [client.embed([text])[0] for text in texts]


def test_seed_sentences(tei_server):
    with EmbeddingClient(endpoint=tei_server.url) as client:
        a, b, c = client.embed(SEED)
    assert cosine(a, b) > cosine(a, c) + 0.3
    assert cosine(a, b) > cosine(b, c) + 0.3


@pytest.mark.parametrize("encoding_format", ["base64", "float"])
def test_order_and_count_under_concurrency(tei_server, texts, reference, encoding_format):
    with EmbeddingClient(
        endpoint=tei_server.url, batch_size=7, max_concurrency=6, encoding_format=encoding_format
    ) as client:
        vectors = client.embed(texts)
    assert len(vectors) == len(texts)
    assert all(cosine(v, r) > 0.9999 for v, r in zip(vectors, reference, strict=True))


async def test_async_matches_sync(tei_server, texts, reference):
    client = EmbeddingClient(endpoint=tei_server.url, batch_size=9, max_concurrency=5)
    vectors = await client.aembed(texts)
    await client.aclose()
    assert all(cosine(v, r) > 0.9999 for v, r in zip(vectors, reference, strict=True))


def test_one_client_survives_repeated_asyncio_run(tei_server):
    client = EmbeddingClient(endpoint=tei_server.url)
    first = asyncio.run(client.aembed(SEED))
    second = asyncio.run(client.aembed(SEED))
    assert first == second
    client.close()


async def test_sync_call_inside_a_running_loop(tei_server):
    with EmbeddingClient(endpoint=tei_server.url) as client:
        assert len(client.embed(SEED)) == 3


def test_empty_list_sends_nothing():
    # Port 9 (discard) on loopback: any request would fail to connect.
    with EmbeddingClient(endpoint="http://127.0.0.1:9") as client:
        assert client.embed([]) == []
        assert asyncio.run(client.aembed([])) == []


@pytest.mark.parametrize(
    ("bad", "index", "error"), [(["ok", ""], 1, ValueError), (["ok", "ok", 5], 2, TypeError)]
)
def test_bad_input_fails_before_any_request(bad, index, error):
    with EmbeddingClient(endpoint="http://127.0.0.1:9") as client, pytest.raises(error) as info:
        client.embed(bad)
    assert info.value.input_index == index


def test_server_batch_limit_is_discovered(start_tei_server):
    server = start_tei_server(max_client_batch_size=4)
    with EmbeddingClient(endpoint=server.url, batch_size=32) as client:
        assert len(client.embed([f"text {i}" for i in range(10)])) == 10
        assert client._get_engine().limits.max_count == 4


def test_long_input_without_auto_truncate_names_its_index(start_tei_server):
    server = start_tei_server(auto_truncate=False)
    texts = ["short"] * 20
    texts[13] = "word " * 2000
    with (
        EmbeddingClient(endpoint=server.url, batch_size=8) as client,
        pytest.raises(errors.InvalidInputError) as info,
    ):
        client.embed(texts)
    assert info.value.input_index == 13
    assert info.value.status in (413, 422)
    assert "tokens" in info.value.message


def test_bearer_key(start_tei_server):
    server = start_tei_server(api_key="tei-secret")
    with EmbeddingClient(endpoint=server.url, api_key="tei-secret") as client:
        assert len(client.embed(SEED)) == 3
    with (
        EmbeddingClient(endpoint=server.url, max_retries=0) as client,
        pytest.raises(errors.AuthenticationError) as info,
    ):
        client.embed(SEED)
    assert "tei-secret" not in str(info.value)


def test_native_route_options(tei_server):
    with EmbeddingClient(endpoint=tei_server.url, route="/embed", normalize=False) as client:
        raw = client.embed(SEED[:1])[0]
    assert abs(math.sqrt(sum(x * x for x in raw)) - 1.0) > 0.01
    with EmbeddingClient(endpoint=tei_server.url, dimensions=64) as client:
        short = client.embed(SEED[:1])[0]
    assert len(short) == 64
    assert abs(math.sqrt(sum(x * x for x in short)) - 1.0) < 1e-4


def test_query_instruction_is_prepended(tei_server):
    prefix = "Represent this sentence for searching relevant passages: "
    with EmbeddingClient(endpoint=tei_server.url, query_instruction=prefix) as client:
        query = client.embed_query("fast cars")
        expected = client.embed([prefix + "fast cars"])[0]
        plain = client.embed(["fast cars"])[0]
    assert cosine(query, expected) > 0.99999
    assert cosine(query, plain) < 0.9999


def test_overloaded_server_is_retried(start_tei_server):
    server = start_tei_server(max_concurrent_requests=8)
    texts = [f"chunk {i}" for i in range(96)]
    with EmbeddingClient(endpoint=server.url, batch_size=8, max_concurrency=8) as client:
        assert len(client.embed(texts)) == 96


def test_unreachable_server_is_a_connection_error():
    with (
        EmbeddingClient(endpoint="http://127.0.0.1:9", max_retries=1) as client,
        pytest.raises(errors.EmbeddingConnectionError),
    ):
        client.embed(["x"])


def test_progress_bar(tei_server, capsys):
    with EmbeddingClient(endpoint=tei_server.url, batch_size=2, show_progress=True) as client:
        client.embed(SEED)
    assert "Embedding" in capsys.readouterr().err
