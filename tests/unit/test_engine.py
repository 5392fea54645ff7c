"""The engine's decisions, driven step by step with real HTTP answers.

The engine does no I/O (it yields steps), so these tests feed it the exact answers TEI
and OCI give and check what it does next. Transports and servers are tested elsewhere.
"""

import json

import numpy as np
import pytest

from oci_tei import _errors as errors
from oci_tei._batching import Batch, BatchLimits
from oci_tei._endpoint import parse_endpoint
from oci_tei._engine import Engine, Refresh, Response, Send, Wait
from oci_tei._operations import EmbedOperation
from oci_tei._protocol import RequestOptions, encode_text
from oci_tei._retry import RetryPolicy

OCI = "http://127.0.0.1:9/ocid1.datasciencemodeldeployment.oc1.iad.x/predict"


EMBED = EmbedOperation(RequestOptions(encoding_format="float"))


def make_engine(url=OCI, *, max_retries=3, deadline=60.0, batch=32):
    return Engine(
        endpoint=parse_endpoint(url),
        limits=BatchLimits(batch, 2_000_000),
        retry=RetryPolicy(max_retries=max_retries, deadline=deadline, backoff_base=0.01),
        timeout=5.0,
    )


def batch_of(texts, start=0):
    return Batch(start, [encode_text(t) for t in texts])


def ok(inputs):
    data = [
        {"object": "embedding", "embedding": [float(len(t))], "index": i}
        for i, t in enumerate(inputs)
    ]
    return Response(200, {}, json.dumps({"object": "list", "data": data}).encode())


def answer(status, body, **headers):
    return Response(status, {"opc-request-id": "rid", **headers}, json.dumps(body).encode())


def drive(steps, respond):
    """Run the generator; ``respond(step, inputs)`` returns the outcome of each step."""
    trace = []
    outcome = None
    while True:
        try:
            step = steps.send(outcome)
        except StopIteration as done:
            return done.value, trace
        trace.append(step)
        inputs = json.loads(step.content)["input"] if isinstance(step, Send) else None
        outcome = respond(step, inputs)


def test_happy_path_sends_one_signed_request():
    engine = make_engine()
    vectors, trace = drive(engine.run_batch(batch_of(["a", "bb"]), EMBED), lambda s, i: ok(i))
    assert vectors == [[1.0], [2.0]]
    (send,) = trace
    assert send.signed
    assert send.method == "POST"
    assert send.url == OCI
    assert json.loads(send.content) == {"input": ["a", "bb"], "encoding_format": "float"}


@pytest.mark.parametrize("status", [413, 422])
def test_learns_batch_limit_and_resplits(status):
    engine = make_engine()
    texts = [f"t{i}" for i in range(10)]

    def respond(step, inputs):
        if len(inputs) > 4:
            return answer(
                status,
                {
                    "error": f"batch size {len(inputs)} > maximum allowed batch size 4",
                    "error_type": "Validation",
                },
            )
        return ok(inputs)

    vectors, trace = drive(engine.run_batch(batch_of(texts), EMBED), respond)
    assert vectors == [[2.0]] * 10
    assert engine.limits.max_count == 4
    assert [len(json.loads(s.content)["input"]) for s in trace] == [10, 4, 4, 2]
    # A later batch is cut to the learned size before sending.
    _, trace = drive(engine.run_batch(batch_of(texts), EMBED), respond)
    assert [len(json.loads(s.content)["input"]) for s in trace] == [4, 4, 2]


def test_bisects_to_name_the_input_at_fault():
    engine = make_engine()
    texts = [f"t{i}" for i in range(16)]
    texts[11] = "too long"

    def respond(step, inputs):
        if "too long" in inputs:
            return answer(
                422,
                {
                    "message": "Input validation error: `inputs` must have less than 8 tokens. Given: 9",
                    "code": 422,
                    "type": "Validation",
                },
            )
        return ok(inputs)

    with pytest.raises(errors.InvalidInputError) as info:
        drive(engine.run_batch(batch_of(texts, start=100), EMBED), respond)
    assert info.value.input_index == 111
    assert info.value.status == 422
    assert "less than 8 tokens" in info.value.message
    assert info.value.opc_request_id == "rid"


def test_batch_level_refusal_is_fixed_by_splitting():
    engine = make_engine()

    def respond(step, inputs):
        if len(inputs) > 2:
            return answer(
                413,
                {
                    "error": "Input validation error: total tokens over the batch limit",
                    "error_type": "Validation",
                },
            )
        return ok(inputs)

    vectors, _ = drive(engine.run_batch(batch_of(["a", "b", "c", "d", "e"]), EMBED), respond)
    assert len(vectors) == 5


def test_payload_too_large_halves_the_byte_budget():
    engine = make_engine()

    def respond(step, inputs):
        if len(step.content) > 60:  # one or two inputs fit
            return answer(413, {"code": "PayloadTooLarge", "message": "Request body too large"})
        return ok(inputs)

    vectors, _ = drive(engine.run_batch(batch_of(["aaaa", "bbbb", "cccc", "dddd"]), EMBED), respond)
    assert len(vectors) == 4
    assert engine.limits.max_bytes < 2_000_000


def test_rate_limit_honours_retry_after():
    engine = make_engine()
    answers = iter(
        [answer(429, {"code": "TooManyRequests", "message": "slow down"}, **{"retry-after": "2"})]
    )

    def respond(step, inputs):
        if isinstance(step, Wait):
            return None
        return next(answers, None) or ok(inputs)

    vectors, trace = drive(engine.run_batch(batch_of(["a"]), EMBED), respond)
    assert vectors == [[1.0]]
    assert [type(s) for s in trace] == [Send, Wait, Send]
    assert trace[1].seconds == 2.0


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_gives_up_after_max_retries(status):
    engine = make_engine(max_retries=2)

    def respond(step, inputs):
        return None if isinstance(step, Wait) else answer(status, {"code": "x", "message": "down"})

    with pytest.raises(errors.OCITEIError) as info:
        drive(engine.run_batch(batch_of(["a", "b"]), EMBED), respond)
    assert info.value.status == status
    assert "gave up after 3 attempts" in info.value.message


def test_no_retry_when_disabled():
    engine = make_engine(max_retries=0)
    steps = []

    def respond(step, inputs):
        steps.append(step)
        return answer(503, {"code": "x", "message": "down"})

    with pytest.raises(errors.ServerError):
        drive(engine.run_batch(batch_of(["a"]), EMBED), respond)
    assert len(steps) == 1


def test_deadline_stops_retrying():
    engine = make_engine(max_retries=100, deadline=0.0)
    with pytest.raises(errors.ServerError, match="gave up after 1 attempt"):
        drive(
            engine.run_batch(batch_of(["a"]), EMBED),
            lambda s, i: answer(500, {"code": "x", "message": "m"}),
        )


def test_transport_failures_are_retried():
    engine = make_engine()
    failures = iter(
        [errors.EmbeddingTimeoutError("slow"), errors.EmbeddingConnectionError("reset")]
    )

    def respond(step, inputs):
        if isinstance(step, Wait):
            return None
        return next(failures, None) or ok(inputs)

    vectors, trace = drive(engine.run_batch(batch_of(["a"]), EMBED), respond)
    assert vectors == [[1.0]]
    assert [type(s) for s in trace] == [Send, Wait, Send, Wait, Send]


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (401, {"code": "NotAuthenticated", "message": "expired"}),
        (404, {"code": "NotAuthorizedOrNotFound", "message": "x"}),
    ],
)
def test_auth_failure_refreshes_once_then_resigns(status, body):
    engine = make_engine()
    answers = iter([answer(status, body)])

    def respond(step, inputs):
        if isinstance(step, Refresh):
            return True
        return next(answers, None) or ok(inputs)

    vectors, trace = drive(engine.run_batch(batch_of(["a"]), EMBED), respond)
    assert vectors == [[1.0]]
    assert [type(s) for s in trace] == [Send, Refresh, Send]


def test_auth_failure_after_refresh_is_raised():
    engine = make_engine()

    def respond(step, inputs):
        return (
            True
            if isinstance(step, Refresh)
            else answer(401, {"code": "NotAuthenticated", "message": "no"})
        )

    with pytest.raises(errors.AuthenticationError):
        drive(engine.run_batch(batch_of(["a"]), EMBED), respond)


def test_api_key_identities_cannot_refresh():
    engine = make_engine()

    def respond(step, inputs):
        return (
            False
            if isinstance(step, Refresh)
            else answer(401, {"code": "NotAuthenticated", "message": "no"})
        )

    with pytest.raises(errors.AuthenticationError):
        drive(engine.run_batch(batch_of(["a"]), EMBED), respond)


def test_plain_tei_404_is_not_found_without_refresh():
    engine = make_engine("http://127.0.0.1:9")
    with pytest.raises(errors.NotFoundError):
        drive(engine.run_batch(batch_of(["a"]), EMBED), lambda s, i: Response(404, {}, b""))


def test_non_retryable_single_input_error_names_index():
    engine = make_engine()
    with pytest.raises(errors.InvalidInputError) as info:
        drive(
            engine.run_batch(batch_of(["a"], start=7), EMBED),
            lambda s, i: answer(422, {"error": "tokenizer failed", "error_type": "Tokenizer"}),
        )
    assert info.value.input_index == 7


def test_discover_reads_max_client_batch_size_once():
    engine = make_engine("http://127.0.0.1:9")
    seen = []

    def respond(step, inputs):
        seen.append(step)
        return Response(200, {}, json.dumps({"max_client_batch_size": 8}).encode())

    steps = engine.discover()
    step = next(steps)
    assert step.method == "GET"
    assert step.url == "http://127.0.0.1:9/info"
    with pytest.raises(StopIteration):
        steps.send(respond(step, None))
    assert engine.limits.max_count == 8
    assert list(engine.discover()) == []  # once per client


def test_discover_is_skipped_for_deployments():
    assert list(make_engine().discover()) == []


def test_base64_answers_decode_to_float32():
    engine = make_engine()
    vector = np.array([0.1, 0.2], dtype="<f4")
    import base64

    body = json.dumps(
        {"data": [{"embedding": base64.b64encode(vector.tobytes()).decode(), "index": 0}]}
    ).encode()
    vectors, _ = drive(
        engine.run_batch(batch_of(["a"]), EMBED), lambda s, i: Response(200, {}, body)
    )
    assert vectors == [vector.tolist()]


def test_engine_repr_hides_bearer_key():
    engine = Engine(
        endpoint=parse_endpoint("http://127.0.0.1:9"),
        limits=BatchLimits(32, 2_000_000),
        retry=RetryPolicy(),
        timeout=5,
        api_key="s3cret",
    )
    assert "s3cret" not in repr(engine)


UNSUPPORTED_DIMENSIONS = {
    "message": "Input validation error: `dimensions` is set but the model does not support matryoshka",
    "code": 422,
    "type": "Validation",
}


def test_request_level_refusal_is_raised_without_an_index_after_three_requests():
    engine = make_engine()
    sent = []

    def respond(step, inputs):
        sent.append(len(inputs))
        return answer(422, UNSUPPORTED_DIMENSIONS)

    with pytest.raises(errors.InvalidRequestError) as info:
        drive(engine.run_batch(batch_of([f"t{i}" for i in range(32)], start=64), EMBED), respond)
    assert info.value.input_index is None
    assert info.value.status == 422
    assert info.value.error_type == "Validation"
    assert "does not support matryoshka" in info.value.message
    assert info.value.opc_request_id == "rid"
    assert sent == [32, 1, 1]  # the batch, its first input, its last input
    assert isinstance(info.value, errors.InvalidInputError)  # still a ValueError


def test_first_input_at_fault_is_named_when_the_last_passes():
    engine = make_engine()

    def respond(step, inputs):
        if "bad" in inputs:
            return answer(422, UNSUPPORTED_DIMENSIONS)
        return ok(inputs)

    with pytest.raises(errors.InvalidInputError) as info:
        drive(engine.run_batch(batch_of(["bad", "b", "c", "d"], start=5), EMBED), respond)
    assert type(info.value) is errors.InvalidInputError
    assert info.value.input_index == 5


def test_two_inputs_refused_differently_blame_the_first():
    engine = make_engine()

    def respond(step, inputs):
        for text in inputs:
            if text.startswith("long"):
                return answer(
                    422, {"error": f"{text} has too many tokens", "error_type": "Validation"}
                )
        return ok(inputs)

    with pytest.raises(errors.InvalidInputError) as info:
        drive(engine.run_batch(batch_of(["long-a", "b", "c", "long-d"]), EMBED), respond)
    assert type(info.value) is errors.InvalidInputError
    assert info.value.input_index == 0
