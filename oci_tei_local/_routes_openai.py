"""The OpenAI-compatible route: ``POST /v1/embeddings`` (and its alias ``/embeddings``).

Vectors are always normalized, truncation follows ``--auto-truncate`` (right side), the
requested ``model`` is only compared with the served name (a warning, as in TEI), and
``usage`` counts the real tokens. ``encoding_format=base64`` sends each vector's
little-endian float32 bytes.
"""

from __future__ import annotations

__all__ = ["OPENAI_PATHS", "embeddings"]

import logging

from aiohttp import web

from oci_tei_local._codec import b64_float32
from oci_tei_local._embedding import run_embed
from oci_tei_local._infer import EmbedOptions
from oci_tei_local._json_body import read_json
from oci_tei_local._payloads import parse_openai, rejecting
from oci_tei_local._routes_native import json_response
from oci_tei_local._state import STATE

logger = logging.getLogger(__name__)

OPENAI_PATHS = frozenset({"/v1/embeddings", "/embeddings"})


async def embeddings(request: web.Request) -> web.Response:
    """``POST /v1/embeddings``."""
    state = request.app[STATE]
    body = await read_json(request, state.settings.payload_limit)
    req = rejecting(parse_openai, body, state.compat)
    if req.model is not None and req.model != state.served_model_name:
        logger.warning(
            "The provided `model=%s` has not been found, the `model` parameter should be "
            "provided either empty or with `model=%s` instead.",
            req.model,
            state.served_model_name,
        )
    options = EmbedOptions(
        truncate=state.settings.effective_auto_truncate, dimensions=req.dimensions
    )
    result, metadata = await run_embed(state, req.input, options)
    encode = b64_float32 if req.encoding_format == "base64" else (lambda vector: vector)
    data = [
        {"object": "embedding", "embedding": encode(vector), "index": index}
        for index, vector in enumerate(result.outputs)
    ]
    document = {
        "object": "list",
        "data": data,
        "model": state.served_model_name,
        "usage": {"prompt_tokens": result.prompt_tokens, "total_tokens": result.prompt_tokens},
    }
    return json_response(document, headers=metadata.headers())
