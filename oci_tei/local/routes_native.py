"""TEI's native routes, answered as TEI answers them for an embedding model.

``/predict`` and ``/rerank`` are for classifiers and re-rankers: an embedding model
refuses them with 424, after the same checks TEI makes first. ``/embed_sparse`` needs
SPLADE pooling and ``/embed_all`` refuses it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
from aiohttp import web

from oci_tei.local.codec import dumps
from oci_tei.local.embedding import check_batch, run_embed
from oci_tei.local.errors import ErrorKind, TEIError
from oci_tei.local.infer import EmbedOptions
from oci_tei.local.json_body import read_json
from oci_tei.local.metadata import ResponseMetadata
from oci_tei.local.payloads import (
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
from oci_tei.local.state import STATE, ServerState


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
        except Exception:
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
    """``POST /predict``: 424 for an embedding model, after TEI's earlier checks."""
    state, body = await _body(request)
    req = rejecting(parse_predict, body)
    state.metrics.increment("te_request_count", method="single" if req.single else "batch")
    if not req.single:
        check_batch(state, req.size)
    grant = state.infer.permits.try_acquire(req.size)
    if grant is None:
        state.metrics.increment("te_request_failure", err="overloaded")
        raise TEIError.overloaded()
    grant.release()
    state.metrics.increment("te_request_failure", req.size, err="model_type")
    raise TEIError.backend("Model is not a classifier model")


async def rerank(request: web.Request) -> web.Response:
    """``POST /rerank``: 424 for an embedding model, after TEI's earlier checks."""
    state, body = await _body(request)
    req = rejecting(parse_rerank, body)
    return _refuse_rerank(state, len(req.texts))


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
