"""TEI's native routes, answered as TEI answers them.

``/predict`` and ``/rerank`` are for sequence-classification models: ``/predict`` scores
texts or pairs against every label, ``/rerank`` (one label only) scores each text paired
with the query; an embedding model refuses both with 424, after the same checks TEI
makes first, and a classifier refuses the embedding routes the same way.
``/embed_sparse`` needs SPLADE pooling and ``/embed_all`` refuses it.
"""

from __future__ import annotations

__all__ = [
    "decode",
    "embed",
    "embed_all",
    "embed_sparse",
    "health",
    "info",
    "json_response",
    "metrics",
    "predict",
    "rerank",
    "similarity",
    "tokenize",
    "vertex",
]

import asyncio
import logging
import math
import time
from typing import Any

import numpy as np
from aiohttp import web

from oci_tei_local._codec import dumps
from oci_tei_local._embedding import check_batch, run_embed, succeeded
from oci_tei_local._errors import ErrorKind, TEIError
from oci_tei_local._infer import ClassifyOptions, EmbedOptions, InferResult
from oci_tei_local._json_body import read_json
from oci_tei_local._metadata import ResponseMetadata
from oci_tei_local._payloads import (
    EmbedRequest,
    Inputs,
    parse_decode,
    parse_embed,
    parse_embed_tokens,
    parse_predict,
    parse_rerank,
    parse_similarity,
    parse_tokenize,
    parse_vertex,
    rejecting,
    shape_error,
)
from oci_tei_local._state import STATE, ServerState

logger = logging.getLogger(__name__)


def json_response(
    value: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON response as axum's ``Json`` writes it."""
    return web.Response(
        body=dumps(value), status=status, headers=headers, content_type="application/json"
    )


async def _body(request: web.Request) -> tuple[ServerState, Any]:
    state = request.app[STATE]
    return state, await read_json(request, state.settings.payload_limit)


def _options(state: ServerState, request: EmbedRequest, *, normalize: bool) -> EmbedOptions:
    truncate = request.truncate
    return EmbedOptions(
        truncate=state.settings.effective_auto_truncate if truncate is None else truncate,
        direction=request.truncation_direction,
        prompt_name=request.prompt_name,
        normalize=normalize,
        dimensions=request.dimensions,
    )


async def info(request: web.Request) -> web.Response:
    """``GET /info``."""
    return json_response(request.app[STATE].info)


async def health(request: web.Request) -> web.Response:
    """``GET /health`` (also ``GET /`` and ``/ping``): 200 with an empty body when healthy."""
    state = request.app[STATE]
    if not state.infer.batcher.healthy:
        # Like TEI, an unhealthy backend is probed with a real forward pass.
        try:
            await asyncio.get_running_loop().run_in_executor(None, state.backend.health)
        except Exception as exc:
            # TEI's answer carries no reason: the log says what the probe met.
            logger.error("health check failed: %s: %s", type(exc).__name__, exc, exc_info=exc)
            return json_response(
                {"error": "unhealthy", "error_type": ErrorKind.UNHEALTHY.value}, status=503
            )
        state.infer.batcher.healthy = True
    return web.Response()


async def metrics(request: web.Request) -> web.Response:
    """``GET /metrics``: Prometheus text."""
    return web.Response(text=request.app[STATE].metrics.render(), content_type="text/plain")


async def embed(request: web.Request) -> web.Response:
    """``POST /embed``: pooled embeddings."""
    state, body = await _body(request)
    req = rejecting(parse_embed, body, state.compat)
    result, metadata = await run_embed(
        state, req.inputs, _options(state, req, normalize=req.normalize)
    )
    return json_response(result.outputs, headers=metadata.headers())


async def embed_all(request: web.Request) -> web.Response:
    """``POST /embed_all``: every token's embedding, unpooled."""
    state, body = await _body(request)
    req = rejecting(parse_embed_tokens, body)
    options = _options(state, req, normalize=False)
    result, metadata = await run_embed(state, req.inputs, options, mode="all")
    return json_response(result.outputs, headers=metadata.headers())


async def embed_sparse(request: web.Request) -> web.Response:
    """``POST /embed_sparse``: SPLADE vectors as ``{index, value}`` lists."""
    state, body = await _body(request)
    req = rejecting(parse_embed_tokens, body)
    options = _options(state, req, normalize=False)
    result, metadata = await run_embed(state, req.inputs, options, mode="sparse")
    sparse = [
        [{"index": int(i), "value": float(vector[i])} for i in np.flatnonzero(vector)]
        for vector in result.outputs
    ]
    return json_response(sparse, headers=metadata.headers())


async def similarity(request: web.Request) -> web.Response:
    """``POST /similarity``: cosine similarity of each sentence to the source sentence."""
    state, body = await _body(request)
    req = rejecting(parse_similarity, body)
    if not req.sentences:
        state.metrics.increment("te_request_failure", err="validation")
        raise TEIError(ErrorKind.EMPTY, "`inputs.sentences` cannot be empty")
    check_batch(state, len(req.sentences) + 1)
    inputs = Inputs([req.source_sentence, *req.sentences], single=False)
    truncate = state.settings.effective_auto_truncate if req.truncate is None else req.truncate
    options = EmbedOptions(truncate, req.truncation_direction, req.prompt_name, normalize=False)
    result, metadata = await run_embed(state, inputs, options)
    source, *others = (vector.astype(np.float64) for vector in result.outputs)
    scores = [
        float(np.dot(source, other) / (np.linalg.norm(source) * np.linalg.norm(other)))
        for other in others
    ]
    return json_response(np.array(scores, dtype=np.float32), headers=metadata.headers())


async def predict(request: web.Request) -> web.Response:
    """``POST /predict``: per input, every label's score, highest first."""
    state, body = await _body(request)
    req = rejecting(parse_predict, body)
    state.metrics.increment("te_request_count", method="single" if req.single else "batch")
    if not req.single:
        check_batch(state, req.size)
    if not state.infer.classifier:
        grant = state.infer.permits.try_acquire(req.size)
        if grant is None:
            state.metrics.increment("te_request_failure", err="overloaded")
            raise TEIError.overloaded()
        grant.release()
    truncate = state.settings.effective_auto_truncate if req.truncate is None else req.truncate
    options = ClassifyOptions(truncate, req.truncation_direction, req.raw_scores)
    result, metadata = await _classify(state, req.inputs, options, single=req.single)
    labels = state.backend.files.id2label or {}
    predictions = [
        _sorted_desc([{"score": _score(s), "label": labels[str(i)]} for i, s in enumerate(scores)])
        for scores in result.outputs
    ]
    return json_response(predictions[0] if req.single else predictions, headers=metadata.headers())


async def rerank(request: web.Request) -> web.Response:
    """``POST /rerank``: each text's score against the query, highest first."""
    state, body = await _body(request)
    req = rejecting(parse_rerank, body)
    if not req.texts or state.backend.files.kind != "reranker":
        return _refuse_rerank(state, len(req.texts))
    state.metrics.increment("te_request_count", method="batch")
    check_batch(state, len(req.texts), empty="`texts` cannot be empty")
    truncate = state.settings.effective_auto_truncate if req.truncate is None else req.truncate
    options = ClassifyOptions(truncate, req.truncation_direction, req.raw_scores)
    pairs = [(req.query, text) for text in req.texts]
    result, metadata = await _classify(state, pairs, options, single=False)
    ranks = []
    for index, scores in enumerate(result.outputs):
        rank: dict[str, Any] = {"index": index, "score": _score(scores[0])}
        if req.return_text:
            rank["text"] = req.texts[index]
        ranks.append(rank)
    return json_response(_sorted_desc(ranks), headers=metadata.headers())


async def _classify(
    state: ServerState, inputs: Any, options: ClassifyOptions, *, single: bool
) -> tuple[InferResult, ResponseMetadata]:
    started = time.perf_counter()
    result = await state.infer.classify(inputs, options, single=single)
    chars = sum(_chars(item) for item in inputs)
    method = "single" if single else "batch"
    return result, succeeded(state, result, method=method, chars=chars, started=started)


def _chars(item: Any) -> int:
    return sum(len(text) for text in item) if isinstance(item, tuple) else len(item)


def _score(value: Any) -> float:
    score = float(value)
    if math.isnan(score):  # TEI checks before sorting, which NaN would break
        raise TEIError(ErrorKind.BACKEND, "score is NaN")
    return score


def _sorted_desc(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # TEI sorts ascending (a stable sort) and reverses: equal scores end up in reverse
    # input order. Reproduced exactly, since clients see the order.
    return list(reversed(sorted(items, key=lambda item: item["score"])))


def _refuse_rerank(state: ServerState, texts: int) -> web.Response:
    if texts == 0:
        state.metrics.increment("te_request_failure", err="validation")
        raise TEIError(ErrorKind.EMPTY, "`texts` cannot be empty")
    state.metrics.increment("te_request_failure", err="model_type")
    raise TEIError.backend("model is not a re-ranker model")


async def tokenize(request: web.Request) -> web.Response:
    """``POST /tokenize``: tokens with their byte offsets."""
    state, body = await _body(request)
    req = rejecting(parse_tokenize, body)
    if not req.single:
        check_batch(state, len(req.inputs))
    tokens = await state.infer.tokenize(
        req.inputs, add_special_tokens=req.add_special_tokens, prompt_name=req.prompt_name
    )
    return json_response([[token.to_json() for token in item] for item in tokens])


async def decode(request: web.Request) -> web.Response:
    """``POST /decode``: text of token ids."""
    state, body = await _body(request)
    req = rejecting(parse_decode, body)
    if not req.single:
        check_batch(state, len(req.ids), empty="`ids` cannot be empty")
    texts = await state.infer.decode(req.ids, skip_special_tokens=req.skip_special_tokens)
    return json_response(texts)


async def vertex(request: web.Request) -> web.Response:
    """``POST /vertex``: Vertex AI's ``{"instances": [...]}``, each an embed request."""
    state, body = await _body(request)
    instances = rejecting(parse_vertex, body)
    jobs = []
    for instance in instances:
        rerank_request = shape_error(parse_rerank, instance)
        if not isinstance(rerank_request, str):
            _refuse_rerank(state, len(rerank_request.texts))
        embed_request = shape_error(parse_embed, instance, state.compat)
        if isinstance(embed_request, str):
            raise TEIError(ErrorKind.VALIDATION, embed_request)
        options = _options(state, embed_request, normalize=embed_request.normalize)
        jobs.append(run_embed(state, embed_request.inputs, options))
    results: list[tuple[Any, ResponseMetadata]] = await asyncio.gather(*jobs)
    return json_response({"predictions": [result.outputs for result, _ in results]})
