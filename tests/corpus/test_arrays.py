"""embed_array / iter_embed and their async twins against the real local server.

They must return exactly the vectors embed_documents returns, in order, from lists and from
generators, and keep embed's guarantees: a typed error naming the input, nothing dropped.

The server's model remembers its first vector per input (tests/corpus/backends.py), so
equality can be exact although CPU float32 output depends slightly on batching.
"""

import numpy as np
import pytest

from oci_tei import _errors as errors
from oci_tei._client import EmbeddingClient

SENTENCES = [
    "The car sped down the highway at an incredible speed.",
    "A vehicle raced along the freeway, moving very fast.",
    "The child was playing in the park with a ball.",
]


def corpus(count):
    return [f"line {i}: {SENTENCES[i % 3]}" for i in range(count)]


@pytest.fixture(scope="module")
def texts():
    return corpus(123)


@pytest.fixture(scope="module")
def reference(server, texts):
    with EmbeddingClient(endpoint=server.url) as client:
        return np.asarray(client.embed_documents(texts), dtype=np.float32)


@pytest.fixture
def client(server):
    # Small batches and a few in flight: many batches, completing out of order.
    with EmbeddingClient(endpoint=server.url, batch_size=5, max_concurrency=3) as client:
        yield client


@pytest.mark.parametrize("as_generator", [False, True])
def test_embed_array_equals_embed_documents(client, texts, reference, as_generator):
    source = (t for t in texts) if as_generator else texts
    array = client.embed_array(source)
    assert array.dtype == np.float32
    assert array.flags.c_contiguous
    assert array.shape == reference.shape
    assert np.array_equal(array, reference)


@pytest.mark.parametrize("as_generator", [False, True])
def test_iter_embed_yields_the_same_vectors_in_chunks(client, texts, reference, as_generator):
    source = (t for t in texts) if as_generator else texts
    chunks = list(client.iter_embed(source, chunk_size=16))
    assert [len(c) for c in chunks] == [16] * 7 + [11]
    assert all(c.dtype == np.float32 for c in chunks)
    assert np.array_equal(np.concatenate(chunks), reference)


@pytest.mark.parametrize("as_generator", [False, True])
async def test_async_twins(client, texts, reference, as_generator):
    source = (t for t in texts) if as_generator else texts
    assert np.array_equal(await client.aembed_array(source), reference)
    source = (t for t in texts) if as_generator else texts
    chunks = [chunk async for chunk in client.aiter_embed(source, chunk_size=50)]
    assert [len(c) for c in chunks] == [50, 50, 23]
    assert np.array_equal(np.concatenate(chunks), reference)


def test_document_instruction_is_applied_as_embed_documents_does(server, texts):
    with EmbeddingClient(endpoint=server.url, document_instruction="passage: ") as client:
        expected = np.asarray(client.embed_documents(texts[:7]), dtype=np.float32)
        assert np.array_equal(client.embed_array(texts[:7]), expected)
        assert np.array_equal(np.concatenate(list(client.iter_embed(texts[:7]))), expected)


def test_empty_inputs_send_nothing():
    with EmbeddingClient(endpoint="http://127.0.0.1:9") as client:  # nothing listens
        assert client.embed_array([]).shape == (0, 0)
        assert list(client.iter_embed(iter([]))) == []
        assert client.usage().requests == 0


def test_iter_embed_reads_the_generator_lazily(client):
    pulled = []

    def lines():
        for i, text in enumerate(corpus(10_000)):
            pulled.append(i)
            yield text

    stream = client.iter_embed(lines(), chunk_size=10)
    first = next(stream)
    assert first.shape[0] == 10
    # Bounded: one chunk plus the window (2 x concurrency batches), not the whole input.
    assert len(pulled) <= 10 + 2 * client.max_concurrency * 5 + 5
    stream.close()


def test_bad_input_in_a_list_fails_before_anything_is_sent(client, texts):
    bad = [*texts[:40], "  ", *texts[40:]]
    before = client.usage().requests
    with pytest.raises(errors.InvalidInputError) as info:
        client.embed_array(bad)
    assert info.value.input_index == 40
    assert client.usage().requests == before


def test_bad_input_in_a_stream_names_its_index_after_the_chunks_before_it(client, texts):
    def lines():
        yield from texts[:33]
        yield 7  # not a string
        yield from texts[33:]

    got = []
    stream = client.iter_embed(lines(), chunk_size=10)
    with pytest.raises(errors.InputTypeError) as info:
        got.extend(stream)
    assert info.value.input_index == 33
    assert [len(c) for c in got] == [10, 10, 10]


def test_refused_input_names_its_index(strict_server):
    server = strict_server
    texts = corpus(30)
    texts[17] = "word " * 2000
    with EmbeddingClient(endpoint=server.url, batch_size=8) as client:
        with pytest.raises(errors.InvalidInputError) as info:
            client.embed_array(texts)
        assert info.value.input_index == 17
        with pytest.raises(errors.InvalidInputError) as info:
            list(client.iter_embed(iter(texts), chunk_size=8))
        assert info.value.input_index == 17


@pytest.mark.parametrize("policy", ["skip", "stop"])
def test_refusal_policies_of_the_chunk_stream(strict_server, policy):
    server = strict_server
    texts = corpus(30)
    texts[17] = "word " * 2000
    texts[21] = "word " * 2000
    with EmbeddingClient(endpoint=server.url, batch_size=8) as client:
        reference = client.embed_array([t for i, t in enumerate(texts) if i not in (17, 21)])
        chunks = list(client.stream_chunks(iter(texts), chunk_size=10, on_refusal=policy))
    refused = [r.index for c in chunks for r in c.refused]
    vectors = np.concatenate([c.results for c in chunks if len(c.results)])
    if policy == "skip":
        assert [(c.start, c.count) for c in chunks] == [(0, 10), (10, 10), (20, 10)]
        assert refused == [17, 21]
        assert np.array_equal(vectors, reference)
    else:
        assert [(c.start, c.count) for c in chunks] == [(0, 10), (10, 8)]
        assert refused == [17]
        assert np.array_equal(vectors, reference[:17])
    assert all(isinstance(c.refused[0].error, errors.InvalidInputError) for c in chunks[1:2])


def test_usage_counts_requests_and_bytes(server, texts):
    with EmbeddingClient(endpoint=server.url, batch_size=10) as client:
        client.embed_array(texts[:40])
        usage = client.usage()
    assert usage.requests == 4
    assert usage.retries == 0
    # 384 float32 per vector travel as base64: at least 4/3 x 1536 bytes each.
    assert usage.bytes_received > 40 * 2048
    assert usage.bytes_sent > sum(len(t) for t in texts[:40])


def test_server_permits_bound_the_requests_in_flight():
    # TEI holds one permit per input in flight: 512 by default.
    assert EmbeddingClient(endpoint="http://127.0.0.1:9", batch_size=256).max_concurrency == 2
    larger = EmbeddingClient(endpoint="http://127.0.0.1:9", batch_size=256, server_permits=2048)
    assert larger.max_concurrency == 8
