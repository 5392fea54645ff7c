"""RerankClient against the local server's cross-encoder, plain and through the signed gateway.

The expected scores come from two independent references: the server's own ``/rerank``
(one request per 32 texts, as TEI allows) and sentence-transformers' ``CrossEncoder``
on the same checkpoint.
"""

import pytest

from oci_tei import _errors as errors
from oci_tei._rerank import RerankClient
from oci_tei_emulator import FaultConfig
from tests.fixtures.reranker import server_scores as rerank_scores

QUERY = "which lighthouse guides ships along the rocky coast?"
DOCS = [
    f"document {i}: {'lighthouse ' * (i % 5)}keepers, {'bread ' * (i % 3)}and ships"
    for i in range(100)
]


@pytest.fixture(scope="module")
def server_scores(reranker_server):
    """Scores from the server's own /rerank, 32 texts per request, by input index."""
    return rerank_scores(reranker_server.url, QUERY, DOCS)


@pytest.fixture(scope="module")
def cross_encoder_scores(reranker_dir):
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(str(reranker_dir), device="cpu")
    return model.predict([(QUERY, doc) for doc in DOCS]).tolist()


def check(results, reference, top_n=None):
    indices = reference.keys() if isinstance(reference, dict) else range(len(reference))
    expected = sorted(indices, key=lambda i: (-reference[i], i))[:top_n]
    assert len(results) == len(expected)
    # Same scores (float32 through JSON) and the same order, ties by index.
    assert [r.index for r in results] == expected
    for r in results:
        assert abs(r.score - reference[r.index]) < 1e-5
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True)


def test_plain_tei_scores_every_document(reranker_server, server_scores, cross_encoder_scores):
    with RerankClient(endpoint=reranker_server.url) as client:
        results = client.rerank(QUERY, DOCS)
        assert client._get_engine().limits.max_count == 32  # read from /info
    check(results, server_scores)
    check(results, cross_encoder_scores)
    assert len({r.score for r in results}) > 50  # the random model still discriminates


async def test_plain_tei_async_with_top_n_and_text(reranker_server, server_scores):
    async with RerankClient(endpoint=reranker_server.url + "/rerank") as client:
        results = await client.arerank(QUERY, DOCS, top_n=5, return_text=True)
    check(results, server_scores, top_n=5)
    assert [r.text for r in results] == [DOCS[r.index] for r in results]


def test_raw_scores_are_the_logits(reranker_server, server_scores):
    import math

    with RerankClient(endpoint=reranker_server.url, raw_scores=True) as client:
        results = client.rerank(QUERY, DOCS[:10])
    for r in results:
        assert abs(1 / (1 + math.exp(-r.score)) - server_scores[r.index]) < 1e-5


@pytest.fixture
def signed(emulator, reranker_server, oci_config):
    """A deployment whose predict endpoint is /rerank, and the client options to sign."""
    emu = emulator()
    ocid = emu.register_deployment(reranker_server.url, "/rerank")
    return emu, emu.predict_url(ocid), {"auth": "api_key", "config_file": str(oci_config)}


def test_deployment_with_rerank_predict_endpoint(signed, server_scores):
    _, url, auth = signed
    with RerankClient(endpoint=url, batch_size=16, **auth) as client:
        check(client.rerank(QUERY, DOCS), server_scores)


async def test_deployment_async(signed, server_scores):
    _, url, auth = signed
    async with RerankClient(endpoint=url, **auth) as client:
        check(await client.arerank(QUERY, DOCS, top_n=3), server_scores, top_n=3)


def test_route_header_selects_rerank_on_an_embedding_deployment(
    emulator, reranker_server, oci_config, server_scores
):
    emu = emulator()
    url = emu.predict_url(emu.register_deployment(reranker_server.url))  # /v1/embeddings
    with RerankClient(
        endpoint=url, route="/rerank", auth="api_key", config_file=str(oci_config)
    ) as client:
        check(client.rerank(QUERY, DOCS[:40]), {i: server_scores[i] for i in range(40)})


def test_learns_a_smaller_batch_limit_through_the_gateway(
    emulator, start_tei_server, reranker_backend, oci_config, server_scores
):
    for compat in ("1.5", "1.9"):  # 413 before TEI 1.9, 422 from 1.9
        server = start_tei_server(backend=reranker_backend, max_client_batch_size=8, compat=compat)
        emu = emulator()
        url = emu.predict_url(emu.register_deployment(server.url, "/rerank"))
        with RerankClient(endpoint=url, auth="api_key", config_file=str(oci_config)) as client:
            check(client.rerank(QUERY, DOCS), server_scores)
            assert client._get_engine().limits.max_count == 8, compat


@pytest.mark.parametrize("fault", ["p_429", "p_503", "p_reset"])
def test_faults_are_retried_and_nothing_is_lost(
    emulator, reranker_server, oci_config, server_scores, fault
):
    emu = emulator(faults=FaultConfig(**{fault: 0.4}, retry_after_s=0), seed=5)
    url = emu.predict_url(emu.register_deployment(reranker_server.url, "/rerank"))
    with RerankClient(
        endpoint=url,
        auth="api_key",
        config_file=str(oci_config),
        batch_size=8,
        max_retries=10,
        retry_backoff=0.02,
    ) as client:
        check(client.rerank(QUERY, DOCS), server_scores)
    assert emu.fault_counts.get(fault.removeprefix("p_"), 0) > 0


def test_embedding_model_refuses_rerank_typed(tei_server):
    with (
        RerankClient(endpoint=tei_server.url, max_retries=0) as client,
        pytest.raises(errors.ServerError, match="not a re-ranker model") as info,
    ):
        client.rerank(QUERY, DOCS[:3])
    assert info.value.status == 424


def test_too_long_pair_names_its_text(reranker_server):
    texts = ["short", "word " * 600, "short too"]
    # The 1.9 server truncates by default (--auto-truncate); truncate=False asks it not to.
    with RerankClient(endpoint=reranker_server.url, truncate=False, max_retries=0) as client:
        with pytest.raises(
            errors.InvalidInputError, match="must have less than 512 tokens"
        ) as info:
            client.rerank(QUERY, texts)
        assert info.value.input_index == 1
    with RerankClient(endpoint=reranker_server.url, truncate=True) as client:
        assert len(client.rerank(QUERY, texts)) == 3
