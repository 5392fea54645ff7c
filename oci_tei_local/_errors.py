"""TEI's error kinds, their status per compat version, and the two JSON shapes they take.

TEI answers errors it raises itself as ``{"error", "error_type"}`` on native routes and
``{"message", "code", "type"}`` on the OpenAI route. Requests its HTTP framework (axum)
rejects before any handler runs get axum's own answers instead: plain text for bodies
that are not acceptable JSON, empty bodies for unknown routes, wrong methods and failed
authentication. Both families live here so every route answers alike.
"""

from __future__ import annotations

__all__ = ["ErrorKind", "ModelLoadError", "Rejection", "StartupError", "TEIError"]

import enum
from typing import Final

from oci_tei_local._settings import Compat


class StartupError(RuntimeError):
    """The server cannot start with these settings (TEI exits non-zero in this case)."""


class ModelLoadError(StartupError):
    """The model directory is missing, incomplete or of a kind this server cannot serve."""


class ErrorKind(enum.Enum):
    """TEI's ``ErrorType``; the value is how it is spelled on the wire."""

    UNHEALTHY = "Unhealthy"
    BACKEND = "Backend"
    OVERLOADED = "Overloaded"
    VALIDATION = "Validation"
    TOKENIZER = "Tokenizer"
    EMPTY = "Empty"


_STATUS: Final[dict[ErrorKind, int]] = {
    ErrorKind.UNHEALTHY: 503,
    ErrorKind.BACKEND: 424,
    ErrorKind.OVERLOADED: 429,
    ErrorKind.TOKENIZER: 422,
    ErrorKind.VALIDATION: 422,
    ErrorKind.EMPTY: 400,
}


def wire_kind(kind: ErrorKind, compat: Compat) -> ErrorKind:
    """The kind as ``compat`` reports it: TEI 1.5.0 had no ``Empty`` kind yet."""
    if kind is ErrorKind.EMPTY and compat == "1.5":
        return ErrorKind.VALIDATION
    return kind


def status_for(kind: ErrorKind, compat: Compat) -> int:
    """HTTP status of ``kind`` in ``compat``: validation is 413 before TEI 1.9, 422 from 1.9."""
    kind = wire_kind(kind, compat)
    if kind is ErrorKind.VALIDATION and compat == "1.5":
        return 413
    return _STATUS[kind]


class TEIError(Exception):
    """An error TEI itself reports, with its exact message.

    The ``te_request_failure`` metric is counted where the error is raised, as TEI does.

    Args:
        kind: TEI's error type.
        message: The full ``error`` text, prefix included (for example
            ``"Input validation error: ..."``).
    """

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message

    @classmethod
    def validation(cls, detail: str) -> TEIError:
        """``TextEmbeddingsError::Validation``: ``Input validation error: {detail}``."""
        return cls(ErrorKind.VALIDATION, f"Input validation error: {detail}")

    @classmethod
    def empty(cls, detail: str) -> TEIError:
        """``TextEmbeddingsError::Empty``: same prefix as validation, kind ``Empty``."""
        return cls(ErrorKind.EMPTY, f"Input validation error: {detail}")

    @classmethod
    def backend(cls, detail: str) -> TEIError:
        """``TextEmbeddingsError::Backend``: ``Backend error: {detail}``."""
        return cls(ErrorKind.BACKEND, f"Backend error: {detail}")

    @classmethod
    def overloaded(cls) -> TEIError:
        """``TextEmbeddingsError::Overloaded``: no permit left."""
        return cls(ErrorKind.OVERLOADED, "Model is overloaded")

    def status(self, compat: Compat) -> int:
        """HTTP status in ``compat``."""
        return status_for(self.kind, compat)

    def native_body(self, compat: Compat) -> dict[str, object]:
        """``ErrorResponse``: ``{"error", "error_type"}``."""
        return {"error": self.message, "error_type": wire_kind(self.kind, compat).value}

    def openai_body(self, compat: Compat) -> dict[str, object]:
        """``OpenAICompatErrorResponse``: ``{"message", "code", "type"}``."""
        return {
            "message": self.message,
            "code": self.status(compat),
            "type": wire_kind(self.kind, compat).value,
        }


class Rejection(Exception):
    """A request axum turns away before TEI's handler runs (plain-text or empty body).

    Args:
        status: HTTP status.
        text: Body text; empty for 401/404/405.
        headers: Extra response headers (``Allow`` on 405).
    """

    def __init__(self, status: int, text: str = "", headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {text}".strip())
        self.status = status
        self.text = text
        self.headers = headers or {}

    @classmethod
    def missing_json_content_type(cls) -> Rejection:
        """415: the body is not declared ``application/json``."""
        return cls(415, "Expected request with `Content-Type: application/json`")

    @classmethod
    def payload_too_large(cls) -> Rejection:
        """413: the body exceeds ``--payload-limit``."""
        return cls(413, "Failed to buffer the request body: length limit exceeded")

    @classmethod
    def json_syntax(cls, detail: str) -> Rejection:
        """400: the body is not JSON (``detail`` is serde_json's wording)."""
        return cls(400, f"Failed to parse the request body as JSON: {detail}")

    @classmethod
    def json_data(cls, detail: str) -> Rejection:
        """422: valid JSON of the wrong shape (``detail`` is serde's wording)."""
        return cls(422, f"Failed to deserialize the JSON body into the target type: {detail}")
