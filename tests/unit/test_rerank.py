"""Reranking as an engine operation: bodies, decoding, merging, and checks before sending."""

import json

import pytest

from oci_tei import _errors as errors
from oci_tei._batching import Batch, BatchLimits
from oci_tei._endpoint import parse_endpoint
from oci_tei._engine import Engine, Response, Send
from oci_tei._protocol import encode_text
from oci_tei._rerank import RerankClient, RerankOperation, RerankResult, RerankSettings, ranked
from oci_tei._retry import RetryPolicy

TEI = "http://127.0.0.1:9"


def batch_of(texts, start=0):
    return Batch(start, [encode_text(t) for t in texts])


def tei_answer(texts, score=len):
    """What TEI answers: ranks sorted by score, highest first."""
    ranks = [{"index": i, "score": float(score(t))} for i, t in enumerate(texts)]
    ranks.sort(key=lambda r: r["score"], reverse=True)
    return Response(200, {}, json.dumps(ranks).encode())


def drive(steps, respond):
    outcome, sent = None, []
    while True:
        try:
            step = steps.send(outcome)
        except StopIteration as done:
            return done.value, sent
        body = json.loads(step.content) if isinstance(step, Send) else None
        sent.append(body)
        outcome = respond(step, body)


def test_body_carries_query_texts_and_tei_fields():
    op = RerankOperation("q?", truncate=True, truncation_direction="left", raw_scores=True)
    body = json.loads(op.encode(batch_of(["a", "ü"])))
    assert body == {
        "query": "q?",
        "texts": ["a", "ü"],
        "raw_scores": True,
        "return_text": False,
        "truncate": True,
        "truncation_direction": "left",
    }
    assert op.overhead == len(op.encode(batch_of([])))


def test_decode_restores_input_order_with_caller_indices():
    op = RerankOperation("q", return_text=True)
    content = json.dumps(
        [{"index": 1, "score": 0.9, "text": "bb"}, {"index": 0, "score": 0.1, "text": "a"}]
    ).encode()
    assert op.decode(content, batch_of(["a", "bb"], start=10)) == [
        RerankResult(10, 0.1, "a"),
        RerankResult(11, 0.9, "bb"),
    ]


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b'{"error": "x"}',
        b'[{"index": 0, "score": 1.0}]',
        b'[{"index": 0, "score": 1.0}, {"index": 0, "score": 2.0}]',
        b'[{"index": 0, "score": "high"}, {"index": 1, "score": 2.0}]',
    ],
)
def test_decode_refuses_malformed_answers(content):
    with pytest.raises(errors.ResponseFormatError):
        RerankOperation("q").decode(content, batch_of(["a", "b"]))


def test_ranked_sorts_by_score_then_index():
    results = [RerankResult(0, 0.5), RerankResult(1, 0.9), RerankResult(2, 0.5)]
    assert [r.index for r in ranked(results)] == [1, 0, 2]
    assert [r.index for r in ranked(results, 2)] == [1, 0]


def test_engine_learns_batch_limit_and_keeps_every_score():
    engine = Engine(
        endpoint=parse_endpoint(TEI, default_route="/rerank"),
        limits=BatchLimits(32, 2_000_000),
        retry=RetryPolicy(max_retries=2, backoff_base=0.01),
        timeout=5,
    )
    texts = [f"t{'x' * i}" for i in range(10)]

    def respond(step, body):
        if len(body["texts"]) > 4:
            message = f"batch size {len(body['texts'])} > maximum allowed batch size 4"
            return Response(
                422, {}, json.dumps({"error": message, "error_type": "Validation"}).encode()
            )
        return tei_answer(body["texts"])

    results, sent = drive(engine.run_batch(batch_of(texts), RerankOperation("q")), respond)
    assert [r.index for r in results] == list(range(10))
    assert [r.score for r in results] == [float(len(t)) for t in texts]
    assert engine.limits.max_count == 4
    assert all(body["query"] == "q" for body in sent)


def test_engine_bisects_to_blame_one_text():
    engine = Engine(
        endpoint=parse_endpoint(TEI, default_route="/rerank"),
        limits=BatchLimits(32, 2_000_000),
        retry=RetryPolicy(max_retries=0),
        timeout=5,
    )

    def respond(step, body):
        if "bad" in body["texts"]:
            error = {"error": "Input validation error: too long", "error_type": "Validation"}
            return Response(422, {}, json.dumps(error).encode())
        return tei_answer(body["texts"])

    with pytest.raises(errors.InvalidInputError) as info:
        drive(engine.run_batch(batch_of(["a", "b", "bad", "c"], 5), RerankOperation("q")), respond)
    assert info.value.input_index == 7


def test_plain_tei_url_defaults_to_rerank_route():
    assert RerankSettings(endpoint=TEI).parsed_endpoint().url == TEI + "/rerank"
    assert RerankSettings(endpoint=TEI + "/rerank").parsed_endpoint().url == TEI + "/rerank"
    deployment = "https://modeldeployment.us-ashburn-1.oci.customer-oci.com/ocid1.datasciencemodeldeployment.oc1.iad.x"
    assert (
        RerankSettings(endpoint=deployment, auth="resource_principal").parsed_endpoint().route
        is None
    )
    routed = RerankSettings(endpoint=deployment, route="/rerank", auth="resource_principal")
    assert routed.parsed_endpoint().route == "/rerank"
    with pytest.raises(ValueError, match="rerank route"):
        RerankSettings(endpoint=TEI, route="/embed")


def test_top_n_must_be_positive():
    client = RerankClient(endpoint=TEI)
    with pytest.raises(ValueError, match="top_n"):
        client.rerank("q", ["a"], top_n=0)


def test_lazy_top_level_exports():
    import oci_tei

    assert oci_tei.RerankClient is RerankClient
    assert oci_tei.RerankSettings is RerankSettings


@pytest.mark.parametrize(
    ("query", "texts", "error", "index"),
    [
        ("", ["a"], errors.InvalidInputError, None),
        ("  ", ["a"], errors.InvalidInputError, None),
        (None, ["a"], errors.InputTypeError, None),
        ("q", [], errors.InvalidInputError, None),
        ("q", "a single string", TypeError, None),
        ("q", ["a", ""], errors.InvalidInputError, 1),
        ("q", ["a", "b", 3], errors.InputTypeError, 2),
    ],
)
async def test_bad_inputs_are_typed_before_any_request(query, texts, error, index):
    # Port 9 (discard) on loopback: any request would fail with a connection error.
    client = RerankClient(endpoint=TEI, max_retries=0)
    with pytest.raises(error) as info:
        client.rerank(query, texts)
    assert getattr(info.value, "input_index", None) == index
    with pytest.raises(error):
        await client.arerank(query, texts)
    assert client._engine is None or not client._engine.limits.discovered
