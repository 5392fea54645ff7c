"""One hierarchy of typed errors for every way an embedding call can fail.

Every error carries what a user needs to act on it: the HTTP ``status``, TEI's (or OCI's)
``message`` and ``error_type``, OCI's ``opc_request_id`` for a support ticket, and, where
one input is to blame, its ``input_index`` in the caller's list. Errors never carry
request headers or bodies, so no signature, token or key material can leak through them.

The mapping from an HTTP answer to a class lives here once (``error_from_response``);
the client, both framework adapters and the deploy smoke test share it.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "AuthenticationError",
    "CallAbandoned",
    "ClientRequestError",
    "ConfigurationError",
    "ConflictError",
    "EmbeddingConnectionError",
    "EmbeddingTimeoutError",
    "InputTypeError",
    "InvalidInputError",
    "InvalidRequestError",
    "MethodNotAllowedError",
    "NotFoundError",
    "OCITEIError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseFormatError",
    "ServerError",
    "batch_limit_from_message",
    "error_from_response",
]


class OCITEIError(Exception):
    """Base class of every error oci-tei raises.

    Attributes:
        message: TEI's or OCI's message, or ours for errors found before sending.
        status: The HTTP status, when a server answered.
        error_type: TEI's ``error_type``/``type`` or OCI's ``code`` (e.g. ``Validation``,
            ``NotAuthorizedOrNotFound``).
        opc_request_id: OCI's request id for the failed call, to quote to OCI support.
        input_index: Index in the caller's input list of the input at fault, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_type: str | None = None,
        opc_request_id: str | None = None,
        input_index: int | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.error_type = error_type
        self.opc_request_id = opc_request_id
        self.input_index = input_index
        super().__init__(message)

    def __str__(self) -> str:
        details = []
        if self.status is not None:
            details.append(f"status {self.status}")
        if self.error_type:
            details.append(f"type {self.error_type}")
        if self.input_index is not None:
            details.append(f"input index {self.input_index}")
        if self.opc_request_id:
            details.append(f"opc-request-id {self.opc_request_id}")
        suffix = f" ({', '.join(details)})" if details else ""
        return f"{self.message}{suffix}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructor arguments: rebuild through __dict__ so errors survive
        # pickling across process pools (LlamaIndex IngestionPipeline workers).
        return (_rebuild_error, (type(self), self.__dict__.copy()))


def _rebuild_error(cls: type[OCITEIError], state: dict[str, Any]) -> OCITEIError:
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("message", ""))
    error.__dict__.update(state)
    return error


class ConfigurationError(OCITEIError, ValueError):
    """The endpoint, auth or options are unusable; found before any request is sent."""


class InvalidInputError(OCITEIError, ValueError):
    """An input the server cannot embed: empty, too long, or a batch TEI refused."""


class InputTypeError(InvalidInputError, TypeError):
    """An input that is not a string."""


class InvalidRequestError(InvalidInputError):
    """A 400/422 about the request, not an input: every input alone fails the same way.

    For example ``dimensions`` on a model that cannot shorten its vectors. Carries no
    ``input_index``: no input is at fault, the options are.
    """


class AuthenticationError(OCITEIError):
    """The request was not authenticated (bad key, expired token that could not be refreshed)."""


class NotFoundError(OCITEIError):
    """No such deployment or route, or OCI's ``NotAuthorizedOrNotFound`` (check IAM policies)."""


class ClientRequestError(OCITEIError):
    """A 4xx that retrying cannot fix and no more specific class covers (411, 415...)."""


class PermissionDeniedError(ClientRequestError):
    """403: the identity may not do this (OCI ``NotAuthorized``; check IAM policies)."""


class MethodNotAllowedError(ClientRequestError):
    """405: the route does not accept this method (OCI predict accepts only POST)."""


class ConflictError(ClientRequestError):
    """409: the resource is in a state that refuses the call (OCI ``Conflict``...)."""


class RateLimitError(OCITEIError):
    """429 from OCI (bandwidth or requests per second) or TEI ("Model is overloaded").

    Attributes:
        retry_after: Seconds the server asked to wait, when it said.
    """

    retry_after: float | None = None


class PayloadTooLargeError(OCITEIError):
    """A request or an input over a size limit (TEI's payload limit or OCI's 10 MB)."""


class ServerError(OCITEIError):
    """5xx from OCI or the container, or TEI's 424 backend error (a failed dependency)."""


class EmbeddingTimeoutError(OCITEIError, TimeoutError):
    """No answer within the per-attempt timeout (OCI cuts calls at 60 s)."""


class EmbeddingConnectionError(OCITEIError, ConnectionError):
    """The connection failed or was reset before an answer arrived."""


class ResponseFormatError(OCITEIError):
    """The server answered 200 with something that is not the embeddings asked for."""


class CallAbandoned(OCITEIError):
    """A batch stopped because another batch of the same call failed first.

    Never reaches callers: the client raises the failure that ended the call.
    """


_BATCH_LIMIT = re.compile(r"batch size (\d+) > maximum allowed batch size (\d+)")


def batch_limit_from_message(message: str) -> int | None:
    """Return M from TEI's "batch size N > maximum allowed batch size M", else None."""
    match = _BATCH_LIMIT.search(message)
    return int(match.group(2)) if match else None


def _parse_error_body(body: bytes) -> tuple[str | None, str | None]:
    """Extract (message, type) from any of the error shapes TEI and OCI answer with.

    TEI native routes: ``{"error", "error_type"}``; TEI's OpenAI route:
    ``{"message", "code", "type"}``; OCI: ``{"code", "message"}``.
    """
    if not body:
        return None, None
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        text = body.decode("utf-8", errors="replace").strip()
        return (text[:500] or None), None
    if isinstance(payload, dict):
        message = payload.get("error") or payload.get("message")
        kind = payload.get("error_type") or payload.get("type") or payload.get("code")
        return (str(message) if message is not None else None), (
            str(kind) if kind is not None else None
        )
    return str(payload)[:500], None


def error_from_response(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    *,
    input_index: int | None = None,
) -> OCITEIError:
    """Map an HTTP error answer to the typed error a caller should see.

    Args:
        status: The HTTP status (>= 400).
        body: The raw response body.
        headers: Response headers (case-insensitive mapping preferred).
        input_index: The caller's index of the input at fault, when the batch was one input.
    """
    message, error_type = _parse_error_body(body)
    message = message or f"HTTP {status} with an empty body"
    request_id = headers.get("opc-request-id")
    fields: dict[str, Any] = {
        "status": status,
        "error_type": error_type,
        "opc_request_id": request_id,
        "input_index": input_index,
    }
    if status == 401:
        return AuthenticationError(message, **fields)
    if status == 404:
        return NotFoundError(message, **fields)
    if status == 429:
        error = RateLimitError(message, **fields)
        error.retry_after = parse_retry_after(headers.get("retry-after"))
        return error
    if status == 413 and batch_limit_from_message(message) is None and "tokens" not in message:
        return PayloadTooLargeError(message, **fields)
    if status in (400, 413, 422):
        return InvalidInputError(message, **fields)
    if status == 408:
        return EmbeddingTimeoutError(message, **fields)
    client_error = _CLIENT_ERRORS.get(status)
    if client_error is not None:
        return client_error(message, **fields)
    if 400 <= status < 500 and status != 424:  # TEI's 424 is its backend failing
        return ClientRequestError(message, **fields)
    return ServerError(message, **fields)


_CLIENT_ERRORS: dict[int, type[ClientRequestError]] = {
    403: PermissionDeniedError,
    405: MethodNotAllowedError,
    409: ConflictError,
}


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        from email.utils import parsedate_to_datetime  # only for an HTTP-date Retry-After

        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = datetime.datetime.now(tz=when.tzinfo or datetime.timezone.utc)
    return max(0.0, (when - now).total_seconds())
