"""The request-level flow every embedding route shares: counting, batch checks, metadata."""

from __future__ import annotations

__all__ = ["check_batch", "run_embed", "succeeded"]

import time

from oci_tei_local._errors import ErrorKind, TEIError
from oci_tei_local._infer import EmbedOptions, InferResult, Mode
from oci_tei_local._metadata import ResponseMetadata
from oci_tei_local._payloads import Inputs
from oci_tei_local._state import ServerState


def check_batch(state: ServerState, size: int, *, empty: str = "`inputs` cannot be empty") -> None:
    """TEI's checks on a list of inputs: not empty, not above ``--max-client-batch-size``.

    Args:
        state: The server.
        size: Number of inputs.
        empty: Message for an empty list (it carries no ``Input validation error`` prefix).

    Raises:
        TEIError: ``Empty`` or ``Validation``.
    """
    if size == 0:
        state.metrics.increment("te_request_failure", err="validation")
        raise TEIError(ErrorKind.EMPTY, empty)
    limit = state.settings.max_client_batch_size
    if size > limit:
        state.metrics.increment("te_request_failure", err="batch_size")
        raise TEIError(
            ErrorKind.VALIDATION, f"batch size {size} > maximum allowed batch size {limit}"
        )


async def run_embed(
    state: ServerState, inputs: Inputs, options: EmbedOptions, *, mode: Mode = "pooled"
) -> tuple[InferResult, ResponseMetadata]:
    """Embed a request's inputs with TEI's request-level bookkeeping.

    Args:
        state: The server.
        inputs: The request's inputs.
        options: Its options.
        mode: ``pooled``, ``all`` or ``sparse``.

    Returns:
        The outputs and the metadata for the response headers.

    Raises:
        TEIError: As TEI reports it.
    """
    started = time.perf_counter()
    method = "single" if inputs.single else "batch"
    state.metrics.increment("te_request_count", method=method)
    if not inputs.single:
        check_batch(state, len(inputs.items))
    result = await state.infer.embed(inputs.items, options, single=inputs.single, mode=mode)
    chars = sum(len(item) for item in inputs.items)
    return result, succeeded(state, result, method=method, chars=chars, started=started)


def succeeded(
    state: ServerState, result: InferResult, *, method: str, chars: int, started: float
) -> ResponseMetadata:
    """Count a successful request and the metadata TEI returns as headers."""
    state.metrics.increment("te_request_success", method=method)
    metadata = ResponseMetadata(
        compute_chars=chars,
        compute_tokens=result.prompt_tokens,
        started=started,
        tokenization=result.tokenization,
        queue=result.queue,
        inference=result.inference,
    )
    metadata.record(state.metrics)
    return metadata
