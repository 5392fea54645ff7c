"""The engine: every decision about one batch, written once, without I/O.

Each batch runs as a generator that yields *steps* — send this request, wait this
long, refresh the identity — and receives their outcomes. The synchronous and the
asynchronous transports (``oci_tei._transport``) execute the same steps with httpx's
sync and async clients, so retry, re-split, token refresh and error mapping exist
exactly once and behave identically in ``embed`` and ``aembed``, ``rerank`` and
``arerank``. What differs between embeddings and reranking — the body, the decoding,
how sub-batches join — is an :class:`~oci_tei._operations.Operation` passed with the batch.

What a batch does on each answer:

* 200: decode (the operation checks count and order).
* 413/422 "batch size N > maximum allowed batch size M": learn M for the whole client,
  re-split, go on.
* 413 payload too large: halve the byte budget, re-split, go on.
* other 400/413/422: if the batch holds several inputs, send its first input alone, then
  (when that fails) its last: both refused alike means the request is at fault
  (``InvalidRequestError``, no input index, three requests); otherwise bisect to find the
  input at fault, so the error names its index; a batch that only failed as a whole
  succeeds split.
* 401, or 404 ``NotAuthorizedOrNotFound`` (OCI's answer to an expired token): refresh
  the token once and re-sign.
* 429, 500, 502, 503, 504, connection errors, timeouts: back off and retry within the
  policy; then raise the last failure, typed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import TypeAlias, TypeVar

from oci_tei._batching import Batch, BatchLimits
from oci_tei._endpoint import Endpoint
from oci_tei._errors import (
    EmbeddingConnectionError,
    EmbeddingTimeoutError,
    InvalidInputError,
    InvalidRequestError,
    OCITEIError,
    PayloadTooLargeError,
    RateLimitError,
    batch_limit_from_message,
    error_from_response,
)
from oci_tei._operations import Operation
from oci_tei._retry import RETRYABLE_STATUSES, RetryPolicy

__all__ = ["Engine", "Refresh", "Response", "Send", "Step", "Wait"]

_NOT_AUTHORIZED = "NotAuthorizedOrNotFound"


@dataclass(frozen=True)
class Send:
    """Send one HTTP request; the transport signs it first when ``signed``."""

    method: str
    url: str
    headers: Mapping[str, str]
    content: bytes
    timeout: float
    signed: bool


@dataclass(frozen=True)
class Response:
    """An HTTP answer, with the signer generation the request was signed under."""

    status: int
    headers: Mapping[str, str]
    content: bytes
    generation: int = 0


@dataclass(frozen=True)
class Wait:
    """Sleep before the next attempt."""

    seconds: float


@dataclass(frozen=True)
class Refresh:
    """Refresh the signer's token; the outcome is True when re-signing may help."""

    generation: int


Step: TypeAlias = Send | Wait | Refresh
# What a transport sends back into the generator for a step.
Outcome: TypeAlias = Response | EmbeddingTimeoutError | EmbeddingConnectionError | bool | None
R = TypeVar("R")


@dataclass
class Engine:
    """Immutable per-client configuration plus the batch limits it learns.

    Attributes:
        endpoint: Resolved endpoint.
        limits: Batch limits shared by all calls of the client.
        retry: Retry policy.
        timeout: Seconds per attempt.
        api_key: Bearer token for a plain TEI started with ``--api-key``.
        user_agent: Sent with every request.
    """

    endpoint: Endpoint
    limits: BatchLimits
    retry: RetryPolicy
    timeout: float
    api_key: str | None = None
    user_agent: str = "oci-tei"
    _headers: dict[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        headers = {
            "content-type": "application/json",
            "accept": "application/json",
            "user-agent": self.user_agent,
        }
        if self.endpoint.signed and self.endpoint.route:
            headers["route"] = self.endpoint.route  # OCI: which container path to call
        if self.api_key:
            headers["authorization"] = f"Bearer {self.api_key}"
        self._headers = headers

    def __repr__(self) -> str:
        # The bearer key lives in the headers: never show them.
        return f"Engine(endpoint={self.endpoint.url!r})"

    def discover(self) -> Generator[Step, Outcome, None]:
        """Read a plain TEI's ``max_client_batch_size`` from ``/info`` once per client.

        Deployments are skipped: OCI only forwards POST to the container, and the
        413/422 re-split teaches the limit anyway. Failures are ignored here: the
        request itself reports them with full detail.
        """
        if self.endpoint.signed or self.limits.discovered:
            return
        self.limits.discovered = True
        headers = {k: v for k, v in self._headers.items() if k != "content-type"}
        outcome = yield Send(
            "GET", self.endpoint.base_url + "/info", headers, b"", min(self.timeout, 10.0), False
        )
        if isinstance(outcome, Response) and outcome.status == 200:
            try:
                limit = json.loads(outcome.content).get("max_client_batch_size")
            except (ValueError, AttributeError):
                return
            if isinstance(limit, int) and limit > 0:
                self.limits.learn_count(limit)

    def run_batch(self, batch: Batch, operation: Operation[R]) -> Generator[Step, Outcome, R]:
        """Run one batch: every attempt, wait and refresh it takes; returns its results.

        Raises:
            OCITEIError: The typed failure once retrying cannot help.
        """
        if len(batch) > self.limits.max_count:
            return (yield from self._run_split(batch, self.limits.max_count, operation))
        body = operation.encode(batch)
        headers = self._headers
        started = time.monotonic()
        retry_number = 0
        refreshed = False
        while True:
            outcome = yield Send(
                "POST", self.endpoint.url, headers, body, self.timeout, self.endpoint.signed
            )
            retry_after: float | None = None
            if isinstance(outcome, Response):
                if outcome.status == 200:
                    return operation.decode(outcome.content, batch)
                error = error_from_response(
                    outcome.status,
                    outcome.content,
                    outcome.headers,
                    input_index=batch.start if len(batch) == 1 else None,
                )
                if self._is_auth_failure(error) and not refreshed:
                    refreshed = True
                    if (yield Refresh(outcome.generation)):
                        continue
                limit = batch_limit_from_message(error.message)
                if limit is not None and len(batch) > limit:
                    self.limits.learn_count(limit)
                    return (yield from self._run_split(batch, limit, operation))
                if isinstance(error, PayloadTooLargeError) and len(batch) > 1:
                    self.limits.learn_bytes(len(body) // 2)
                    return (yield from self._run_parts(batch.halves(), operation))
                if isinstance(error, InvalidInputError) and len(batch) > 1:
                    return (yield from self._find_fault(batch, operation))
                if outcome.status not in RETRYABLE_STATUSES:
                    raise error
                if isinstance(error, RateLimitError):
                    retry_after = error.retry_after
                failure: OCITEIError = error
            elif isinstance(outcome, OCITEIError):
                failure = outcome
            else:  # pragma: no cover - a transport bug, not a server answer
                raise TypeError(f"unexpected outcome {outcome!r}")
            retry_number += 1
            wait = self.retry.delay(retry_number, retry_after)
            if not self.retry.allows(retry_number, time.monotonic() - started, wait):
                raise _final(failure, retry_number, batch)
            yield Wait(wait)

    def _find_fault(self, batch: Batch, operation: Operation[R]) -> Generator[Step, Outcome, R]:
        """A batch got a 400/422: blame one input, the request itself, or the batch size.

        The first input goes alone. If it is refused and the last input alone is refused
        the same way (status, type and message), the refusal is about the request
        (``dimensions`` on a model that cannot shorten, say): raised after three requests,
        with no input index. If only the first is refused, it is the input at fault (the
        lowest index). If it passes, the rest is bisected to find the input at fault; if
        every part passes, the batch as a whole was the problem and splitting fixed it.
        """
        head = Batch(batch.start, batch.fragments[:1])
        try:
            first = yield from self.run_batch(head, operation)
        except InvalidInputError as head_error:
            last = Batch(batch.start + len(batch) - 1, batch.fragments[-1:])
            try:
                yield from self.run_batch(last, operation)
            except InvalidInputError as last_error:
                if _same_refusal(last_error, head_error):
                    raise _request_level(last_error) from None
            raise head_error from None
        rest = Batch(batch.start + 1, batch.fragments[1:])
        parts = rest.halves() if len(rest) > 1 else [rest]
        return operation.join([first, (yield from self._run_parts(parts, operation))])

    def _run_split(
        self, batch: Batch, size: int, operation: Operation[R]
    ) -> Generator[Step, Outcome, R]:
        return (yield from self._run_parts(batch.split(size), operation))

    def _run_parts(
        self, parts: list[Batch], operation: Operation[R]
    ) -> Generator[Step, Outcome, R]:
        results = []
        for part in parts:
            results.append((yield from self.run_batch(part, operation)))
        return operation.join(results)

    def _is_auth_failure(self, error: OCITEIError) -> bool:
        if not self.endpoint.signed:
            return False
        return error.status == 401 or (error.status == 404 and error.error_type == _NOT_AUTHORIZED)


def _same_refusal(one: OCITEIError, other: OCITEIError) -> bool:
    return (one.status, one.error_type, one.message) == (
        other.status,
        other.error_type,
        other.message,
    )


def _request_level(error: InvalidInputError) -> InvalidRequestError:
    """The refusal every input gets alone, as an error about the request."""
    return InvalidRequestError(
        f"{error.message} (every input alone is refused the same way: the request's "
        "options are at fault, not an input)",
        status=error.status,
        error_type=error.error_type,
        opc_request_id=error.opc_request_id,
    )


def _final(failure: OCITEIError, attempts: int, batch: Batch) -> OCITEIError:
    """The error to raise once retries are spent, saying how hard we tried."""
    last = batch.start + len(batch) - 1
    failure.message = (
        f"{failure.message} (gave up after {attempts} attempt{'s' if attempts > 1 else ''} "
        f"on inputs {batch.start}..{last})"
    )
    return failure
