"""The client against the real local TEI server: real HTTP, real model, real vectors."""

import asyncio
import gc
import math
import threading
from pathlib import Path

import pytest

from oci_tei import _errors as errors
from oci_tei._client import EmbeddingClient
from tests.fixtures.tei import server_metric

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
    overloaded = 'te_request_failure{err="overloaded"}'
    before = server_metric(server, overloaded)
    texts = [f"chunk {i}" for i in range(96)]
    # Eight requests of eight inputs against eight permits: all but one are refused at a time,
    # so a request may meet many 429s in a row on a loaded machine; retries are not the limit.
    with EmbeddingClient(
        endpoint=server.url, batch_size=8, max_concurrency=8, retry_backoff=0.05, max_retries=100
    ) as client:
        assert len(client.embed(texts)) == 96
    assert server_metric(server, overloaded) > before  # 429s happened, and were retried


def test_max_concurrency_bounds_the_client_across_threads_and_loops(start_tei_server):
    # One permit per input: a fifth request in flight at once is a 429 (no retries here).
    server = start_tei_server(max_concurrent_requests=4)
    overloaded = 'te_request_failure{err="overloaded"}'
    before = server_metric(server, overloaded)
    texts = [f"bounded chunk {i}" for i in range(24)]
    client = EmbeddingClient(endpoint=server.url, batch_size=1, max_concurrency=4, max_retries=0)
    failures = []

    def call(use_async):
        try:
            if use_async:
                assert len(asyncio.run(client.aembed(texts))) == 24
            else:
                assert len(client.embed(texts)) == 24
        except Exception as exc:
            failures.append(exc)

    threads = [threading.Thread(target=call, args=(i % 2 == 1,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client.close()
    assert failures == []
    assert server_metric(server, overloaded) == before


def established_to(port):
    """Established TCP connections from this process's side to ``port`` on loopback."""
    table = Path("/proc/net/tcp")
    if not table.exists():
        pytest.skip("needs Linux's /proc/net/tcp")
    count = 0
    for line in table.read_text().splitlines()[1:]:
        fields = line.split()
        remote, state = fields[2], fields[3]
        if state == "01" and remote.endswith(f":{port:04X}"):
            count += 1
    return count


def test_pools_of_finished_loops_are_closed(start_tei_server):
    server = start_tei_server(max_client_batch_size=4)  # a server of its own: no stray sockets
    client = EmbeddingClient(endpoint=server.url, batch_size=4, max_concurrency=8)
    texts = [f"chunk {i}" for i in range(32)]
    counts = []
    for _ in range(6):
        assert len(asyncio.run(client.aembed_documents(texts))) == 32
        gc.collect()
        counts.append(established_to(server.port))
    assert counts == [0] * 6, counts  # each loop's pool closed as its loop shut down
    assert client._async.open_pools == 0


def test_a_manually_closed_loop_leaves_no_pool_behind(tei_server):
    client = EmbeddingClient(endpoint=tei_server.url)
    for _ in range(3):
        loop = asyncio.new_event_loop()
        assert len(loop.run_until_complete(client.aembed(SEED))) == 3
        loop.close()  # no shutdown_asyncgens: the next call drops the pool
    assert client._async.open_pools == 1  # only the last closed loop's, until the next use
    assert len(asyncio.run(client.aembed(SEED))) == 3
    assert client._async.open_pools == 0
    client.close()


async def test_close_releases_the_running_loops_pool(tei_server):
    client = EmbeddingClient(endpoint=tei_server.url)
    await client.aembed(SEED)
    assert client._async.open_pools == 1
    client.close()
    await asyncio.sleep(0.05)  # the pool closes in a task on this loop
    assert client._async.open_pools == 0


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
