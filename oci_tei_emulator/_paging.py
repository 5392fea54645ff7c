"""Pagination of every List call, as OCI pages them: ``limit``, ``page``, ``opc-next-page``.

The page token is opaque to clients (here: the offset of the next item). The default
page size is the emulator's ``page_size`` (small, so that a client that reads only the
first page is caught); ``limit`` asks for another size, up to 1000.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from aiohttp import web

from oci_tei_emulator._errors import invalid_parameter

__all__ = ["MAX_LIMIT", "page_limit", "page_of"]

MAX_LIMIT = 1000
T = TypeVar("T")


def page_limit(request: web.Request, default: int) -> int:
    """The page size a List call asks for (``limit``), else ``default``.

    Raises:
        OCIError: 400 InvalidParameter for a limit that is not 1-1000.
    """
    raw = request.query.get("limit")
    if raw is None:
        return default
    try:
        limit = int(raw)
    except ValueError:
        raise invalid_parameter("limit must be an integer.") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid_parameter(f"limit must be between 1 and {MAX_LIMIT}.")
    return limit


def page_of(
    request: web.Request, items: Sequence[T], default: int
) -> tuple[list[T], dict[str, Any]]:
    """The page of ``items`` the request asks for, and the headers that go with it.

    Returns:
        The items of this page, and ``{"opc-next-page": token}`` when more follow.

    Raises:
        OCIError: 400 InvalidParameter for a malformed page token or limit.
    """
    limit = page_limit(request, default)
    start = 0
    if token := request.query.get("page"):
        try:
            start = int(token)
        except ValueError:
            raise invalid_parameter("page is not a valid page token.") from None
        if start < 0:
            raise invalid_parameter("page is not a valid page token.")
    chunk = list(items[start : start + limit])
    headers = {"opc-next-page": str(start + limit)} if start + limit < len(items) else {}
    return chunk, headers
