"""What the emulator answers for a call it does not serve.

OCI answers a path no service has with 404 ``NotFound`` and a method a resource does
not take with 405 ``MethodNotAllowed`` (the API error table, "API Errors": 404
NotFound "There is no operation supported at the URI path and HTTP method you
specified"; 405 MethodNotAllowed "The target resource does not support the HTTP
method"). Neither is ``NotAuthorizedOrNotFound``, which OCI keeps for a resource that
is missing or forbidden: an operation the emulator lacks must not look like a missing
permission. The message says the operation is not emulated, naming the method and path.
"""

from __future__ import annotations

__all__ = ["CATCH_ALL", "unknown_path"]

from aiohttp import web

from oci_tei_emulator._errors import OCIError

_DOCS = "docs/emulator-services.md lists what is emulated"


#: The catch-all route's path, registered last by the emulator.
CATCH_ALL = "/{tail:.*}"


async def _allowed_methods(request: web.Request) -> set[str]:
    """The methods that the emulator's routes take for this path (none: unknown path)."""
    allowed: set[str] = set()
    for resource in request.app.router.resources():
        if resource.canonical == "/{tail}":
            continue
        _match, methods = await resource.resolve(request)
        allowed |= methods
    allowed.discard("*")
    return allowed


async def unknown_path(request: web.Request) -> web.Response:
    """The catch-all route: 405 when the path is served with other methods, else 404.

    Raises:
        OCIError: 405 MethodNotAllowed (with ``Allow``) or 404 NotFound.
    """
    operation = f"{request.method} {request.path}"
    allowed = await _allowed_methods(request)
    if allowed:
        raise OCIError(
            405,
            "MethodNotAllowed",
            f"{operation} is not emulated: this path takes {', '.join(sorted(allowed))} "
            f"only ({_DOCS}).",
            headers={"Allow": ", ".join(sorted(allowed))},
        )
    raise OCIError(
        404,
        "NotFound",
        f"{operation} is not emulated: the emulator serves no operation at this path "
        f"and method ({_DOCS}).",
    )
