"""Reading a JSON request body the way TEI's axum ``Json`` extractor does.

In order: the ``Content-Type`` must be JSON (415), the body must fit ``--payload-limit``
(413, checked against ``Content-Length`` before reading and again while reading), and it
must parse (400, with serde_json's wording where Python's parser allows a close match).
"""

from __future__ import annotations

__all__ = ["read_json"]

import json
import re
from typing import Any

from aiohttp import web

from oci_tei_local._errors import Rejection

_SERDE_WORDING = (
    ("Expecting value", "expected value"),
    ("Expecting property name enclosed in double quotes", "key must be a string"),
    ("Expecting ':' delimiter", "expected `:`"),
    ("Expecting ',' delimiter", "expected `,` or `}`"),
    ("Unterminated string starting at", "EOF while parsing a string"),
    (
        "Invalid control character at",
        "control character (\\u0000-\\u001F) found while parsing a string",
    ),
    ("Invalid \\escape", "invalid escape"),
    ("Invalid \\uXXXX escape", "invalid escape"),
    ("Extra data", "trailing characters"),
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def is_json_content_type(value: str | None) -> bool:
    """Whether a ``Content-Type`` is ``application/json`` or ``application/*+json``."""
    if not value:
        return False
    mime = value.split(";", 1)[0].strip().lower()
    kind, _, subtype = mime.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


async def read_body(request: web.Request, limit: int) -> bytes:
    """The request body, refusing more than ``limit`` bytes.

    Raises:
        Rejection: 413 when the body is larger than ``limit``.
    """
    declared = request.content_length
    if declared is not None and declared > limit:
        raise Rejection.payload_too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > limit:
            raise Rejection.payload_too_large()
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: web.Request, limit: int) -> Any:
    """Check, read and parse a JSON body.

    Raises:
        Rejection: 415, 413 or 400, as axum answers.
    """
    if not is_json_content_type(request.headers.get("Content-Type")):
        raise Rejection.missing_json_content_type()
    return parse_json(await read_body(request, limit))


def parse_json(body: bytes) -> Any:
    """Parse UTF-8 JSON strictly (no NaN, no lone surrogates), as serde_json does.

    Raises:
        Rejection: 400 with a serde_json-like message.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _position(body[: exc.start])
        raise Rejection.json_syntax(
            f"invalid unicode code point at line {line} column {column}"
        ) from None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise Rejection.json_syntax(_serde_message(exc, text)) from None
    except RecursionError:
        raise Rejection.json_syntax("recursion limit exceeded") from None
    if "\\u" in text and _has_surrogate(value):
        raise Rejection.json_syntax("lone leading surrogate in hex escape")
    return value


def _reject_constant(name: str) -> Any:
    # NaN/Infinity are not JSON; serde_json stops at them.
    raise json.JSONDecodeError("Expecting value", name, 0)


def _serde_message(exc: json.JSONDecodeError, text: str) -> str:
    message = exc.msg
    for python, serde in _SERDE_WORDING:
        if message.startswith(python):
            message = serde
            break
    column = exc.colno
    if message == "expected value" and exc.pos >= len(text.rstrip()):
        # serde reports end of input at the last character read.
        message, column = "EOF while parsing a value", column - 1
    if exc.doc != text:  # raised by _reject_constant: no position known
        return message
    return f"{message} at line {exc.lineno} column {column}"


def _position(prefix: bytes) -> tuple[int, int]:
    line = prefix.count(b"\n") + 1
    column = len(prefix) - (prefix.rfind(b"\n") + 1) + 1
    return line, column


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, list):
        return any(_has_surrogate(item) for item in value)
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    return False
