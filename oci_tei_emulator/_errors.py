"""OCI-shaped error answers: ``{"code": ..., "message": ...}`` with the HTTP status OCI uses."""

from __future__ import annotations

__all__ = ["OCIError", "conflict", "invalid_parameter", "not_authenticated", "not_found"]

import json

from aiohttp import web


class OCIError(Exception):
    """An error the emulator answers the way the OCI service would.

    Args:
        status: HTTP status.
        code: OCI error code, e.g. ``NotAuthenticated``.
        message: human-readable message.
        headers: extra response headers (e.g. ``Retry-After``).
    """

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def response(self) -> web.Response:
        """The JSON response OCI sends for this error."""
        body = json.dumps({"code": self.code, "message": self.message})
        return web.Response(
            status=self.status, text=body, content_type="application/json", headers=self.headers
        )


def not_authenticated(detail: str | None = None) -> OCIError:
    """401 NotAuthenticated, OCI's answer to any signature that does not verify."""
    message = (
        "The required information to complete authentication was not provided or was incorrect."
    )
    return OCIError(401, "NotAuthenticated", f"{message} {detail}" if detail else message)


def not_found(what: str = "resource") -> OCIError:
    """404 NotAuthorizedOrNotFound, OCI's answer for a missing or forbidden resource."""
    return OCIError(
        404,
        "NotAuthorizedOrNotFound",
        f"Authorization failed or requested {what} not found.",
    )


def invalid_parameter(message: str) -> OCIError:
    """400 InvalidParameter."""
    return OCIError(400, "InvalidParameter", message)


def missing_parameter(message: str) -> OCIError:
    """400 MissingParameter."""
    return OCIError(400, "MissingParameter", message)


def conflict(message: str, code: str = "IncorrectState") -> OCIError:
    """409 IncorrectState (or another 409 code)."""
    return OCIError(409, code, message)
