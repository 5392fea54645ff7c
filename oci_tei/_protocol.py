"""TEI's wire formats: request bodies out, vectors in.

Two request styles exist. The OpenAI-compatible route (``/v1/embeddings``, which OCI
deployments made by oci-tei expose as ``/predict``) takes ``input``, ``encoding_format``
and ``dimensions`` and always normalizes. TEI's native ``/embed`` takes ``inputs``,
``normalize``, ``truncate``, ``truncation_direction`` and ``dimensions`` and answers a bare
list of float lists.

Texts are JSON-encoded once, up front, into fragments: the batch planner sizes requests
from the fragments' lengths, and bodies are joined from them without re-encoding.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from oci_tei._errors import ConfigurationError, ResponseFormatError

try:  # optional accelerators (the `fast` extra): same verdicts, several times quicker
    import orjson as _orjson
except ImportError:  # pragma: no cover - depends on the environment
    _orjson = None  # type: ignore[assignment]
try:
    from pybase64 import b64decode as _b64decode
except ImportError:  # pragma: no cover - depends on the environment
    _b64decode = base64.b64decode  # type: ignore[assignment]

if TYPE_CHECKING:
    # numpy is imported on first decode: `import langchain_oci_tei` does not pay for it.
    import numpy as np
    import numpy.typing as npt

    Array: TypeAlias = npt.NDArray[np.float32]

__all__ = [
    "RequestOptions",
    "RouteStyle",
    "decode_array",
    "decode_embeddings",
    "encode_body",
    "encode_text",
    "route_style",
    "stack_arrays",
]

RouteStyle = Literal["openai", "native"]
EncodingFormat = Literal["base64", "float"]

_OPENAI_ROUTES = ("/v1/embeddings", "/embeddings")
_NATIVE_ROUTES = ("/embed",)


def route_style(route: str | None) -> RouteStyle:
    """The request style a container route speaks.

    ``None`` means the deployment's ``MODEL_DEPLOY_PREDICT_ENDPOINT``, which oci-tei
    deployments (and the seed's walkthrough) set to ``/v1/embeddings``.
    """
    if route is None or route in _OPENAI_ROUTES:
        return "openai"
    if route in _NATIVE_ROUTES:
        return "native"
    raise ConfigurationError(
        f"route {route!r} is not an embedding route: use /v1/embeddings (OpenAI style) "
        "or /embed (TEI native, for normalize/truncate)"
    )


@dataclass(frozen=True)
class RequestOptions:
    """Per-request fields beyond the inputs; validated against the route's style."""

    style: RouteStyle = "openai"
    encoding_format: EncodingFormat = "base64"
    dimensions: int | None = None
    normalize: bool | None = None
    truncate: bool | None = None
    truncation_direction: Literal["left", "right"] | None = None
    model: str | None = None

    def __post_init__(self) -> None:
        if self.style == "openai":
            native_only = {
                "normalize": self.normalize,
                "truncate": self.truncate,
                "truncation_direction": self.truncation_direction,
            }
            given = [name for name, value in native_only.items() if value is not None]
            if given:
                raise ConfigurationError(
                    f"{', '.join(given)} need TEI's native route: pass route='/embed' "
                    "(the OpenAI route always normalizes and follows the server's "
                    "--auto-truncate)"
                )
        if self.dimensions is not None and self.dimensions < 1:
            raise ConfigurationError(f"dimensions must be positive, got {self.dimensions}")

    def tail(self) -> bytes:
        """The JSON members after the inputs, encoded once per client."""
        fields: dict[str, Any] = {}
        if self.style == "openai":
            fields["encoding_format"] = self.encoding_format
            if self.model:
                fields["model"] = self.model
        else:
            for name in ("normalize", "truncate", "truncation_direction"):
                value = getattr(self, name)
                if value is not None:
                    fields[name] = value
        if self.dimensions is not None:
            fields["dimensions"] = self.dimensions
        return b"".join(
            b"," + json.dumps(key).encode() + b":" + json.dumps(value).encode()
            for key, value in fields.items()
        )


def encode_text(text: str) -> bytes:
    """One input as a JSON string fragment (UTF-8, not ASCII-escaped: fewer bytes).

    ``json.dumps(text, ensure_ascii=False)``, without building an encoder per input.
    """
    return encode_basestring(text).encode("utf-8")


def encode_body(fragments: Sequence[bytes], options: RequestOptions, tail: bytes) -> bytes:
    """The request body for a batch of pre-encoded inputs."""
    key = b'{"input":[' if options.style == "openai" else b'{"inputs":['
    return key + b",".join(fragments) + b"]" + tail + b"}"


def body_overhead(options: RequestOptions, tail: bytes) -> int:
    """Bytes a body has besides its fragments and their separating commas."""
    return len(encode_body((), options, tail))


def decode_embeddings(body: bytes, expected: int, options: RequestOptions) -> list[list[float]]:
    """Vectors from a 200 answer, in input order, exactly ``expected`` of them.

    Accepts base64 or float items whatever was asked (TEI before 1.3 ignores
    ``encoding_format``), orders OpenAI items by ``index``, and checks the count,
    the indices, the elements and equal lengths and, when ``dimensions`` was asked,
    the vector length.

    Raises:
        ResponseFormatError: Anything else.
    """
    items, native = _items(body, expected)
    block = None if native else _base64_block(items)
    if block is not None:
        _check_lengths([block.shape[1]], options)
        return block.tolist()  # type: ignore[no-any-return]
    if native:  # TEI's native /embed: a bare list of float lists
        vectors = [_float_list(item, index) for index, item in enumerate(items)]
    else:
        vectors = [_vector(item, index) for index, item in enumerate(items)]
    _check_lengths([len(vector) for vector in vectors], options)
    return vectors


def decode_array(body: bytes, expected: int, options: RequestOptions) -> Array:
    """:func:`decode_embeddings` as one float32 ``(expected, d)`` array.

    Base64 items (little-endian float32, TEI's ``encoding_format=base64``) are copied
    byte for byte into the array, never through Python floats; float items, checked as
    :func:`decode_embeddings` checks them, convert exactly (TEI prints float32 values
    with the shortest text that reads back to the same float32).

    Raises:
        ResponseFormatError: As :func:`decode_embeddings`.
    """
    import numpy as np

    items, native = _items(body, expected)
    block = None if native else _base64_block(items)
    if block is not None:
        _check_lengths([block.shape[1]], options)
        return block
    rows = [_row(item, index, native) for index, item in enumerate(items)]
    _check_lengths([len(row) for row in rows], options)
    array = np.empty((expected, len(rows[0]) if rows else 0), dtype=np.float32)
    for index, row in enumerate(rows):
        array[index] = row
    return array


def _base64_block(items: list[object]) -> Array | None:
    """Every item decoded at once when all are unpadded base64 strings of one length.

    That is TEI's answer for any width that is a multiple of 3 floats (384, 768, 1024...):
    one decode and one view instead of one per item. Anything else (padding, a bad
    character, mixed lengths) returns None, and the items are decoded one by one, which
    names the item at fault.
    """
    import numpy as np

    if not items or set(map(type, items)) != {str}:
        return None
    strings: list[str] = items  # type: ignore[assignment]
    width = len(strings[0])
    if not width or width % 4 or set(map(len, strings)) != {width}:
        return None
    joined = "".join(strings)
    if "=" in joined:
        return None
    try:
        raw = _b64decode(joined, validate=True)
    except (binascii.Error, ValueError):
        return None
    row_bytes = width // 4 * 3
    if row_bytes % 4:
        return None
    # A bytearray: the array owns writable memory, as one filled row by row would.
    return np.frombuffer(bytearray(raw), dtype="<f4").reshape(len(strings), row_bytes // 4)


def stack_arrays(parts: Sequence[Array]) -> Array:
    """Consecutive batches' vectors as one array; every part must have the same width.

    Raises:
        ResponseFormatError: Parts of different widths (a server changing its model).
    """
    import numpy as np

    if not parts:
        return np.empty((0, 0), dtype=np.float32)
    if len(parts) == 1:
        return parts[0]
    widths = {part.shape[1] for part in parts}
    if len(widths) > 1:
        raise ResponseFormatError(
            f"the server answered vectors of different lengths {sorted(widths)} in one call"
        )
    return np.concatenate(parts)


def _items(body: bytes, expected: int) -> tuple[list[object], bool]:
    """The answer's embeddings in input order, unchecked, and whether it is native style."""
    payload = _parse(body)
    items = _openai_items(payload, expected) if isinstance(payload, dict) else payload
    if not isinstance(items, list) or len(items) != expected:
        got = len(items) if isinstance(items, list) else type(items).__name__
        raise ResponseFormatError(f"expected {expected} embeddings, the server returned {got}")
    return items, not isinstance(payload, dict)


def _parse(body: bytes) -> Any:
    """A 200 answer's JSON; orjson first where installed, json's verdict otherwise."""
    if _orjson is not None:
        try:
            return _orjson.loads(body)
        except _orjson.JSONDecodeError:
            pass  # json decides (it also reads NaN and integers past 64 bits)
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ResponseFormatError(
            f"the server answered 200 with a body that is not JSON: {body[:200]!r}"
        ) from None


def _check_lengths(lengths: Sequence[int], options: RequestOptions) -> None:
    if len(set(lengths)) > 1:
        raise ResponseFormatError(
            f"the server returned vectors of different lengths in one answer: "
            f"{sorted(set(lengths))}"
        )
    if options.dimensions is not None and lengths and lengths[0] != options.dimensions:
        raise ResponseFormatError(
            f"asked for {options.dimensions} dimensions, got {lengths[0]}: the "
            "server ignores `dimensions` (needs TEI 1.8+) or the model cannot "
            "shorten its vectors"
        )


def _openai_items(payload: dict[str, Any], expected: int) -> list[object]:
    data = payload.get("data")
    if not isinstance(data, list):
        raise ResponseFormatError(f"no 'data' list in the answer: {str(payload)[:200]}")
    if len(data) != expected:
        raise ResponseFormatError(
            f"expected {expected} embeddings, the server returned {len(data)}"
        )
    # TEI answers the items in order: check that in bulk, and item by item otherwise.
    try:
        indices = [item["index"] for item in data]
    except (TypeError, KeyError):
        indices = []
    if indices == list(range(expected)) and set(map(type, indices)) <= {int}:
        return [item.get("embedding") for item in data]
    ordered: list[object] = [None] * expected
    seen = [False] * expected
    for position, item in enumerate(data):
        index = item.get("index", position) if isinstance(item, dict) else None
        if not isinstance(index, int) or not 0 <= index < expected or seen[index]:
            raise ResponseFormatError(f"bad or repeated index in item {position} of 'data'")
        seen[index] = True
        ordered[index] = item.get("embedding")
    return ordered


def _vector(embedding: object, index: int) -> list[float]:
    row = _row(embedding, index, native=False)
    return row if isinstance(row, list) else row.tolist()


def _row(embedding: object, index: int, native: bool) -> Array | list[float]:
    """One item's vector: a float32 view of its base64 bytes, or its checked float list."""
    if isinstance(embedding, str) and not native:
        import numpy as np

        try:
            raw = base64.b64decode(embedding, validate=True)
        except (binascii.Error, ValueError):
            raise ResponseFormatError(f"embedding {index} is not valid base64") from None
        if len(raw) % 4 or not raw:
            raise ResponseFormatError(f"embedding {index} is not a float32 array")
        return np.frombuffer(raw, dtype="<f4")
    if isinstance(embedding, list) or native:
        return _float_list(embedding, index)
    raise ResponseFormatError(f"embedding {index} is neither base64 nor a float list")


def _float_list(vector: object, index: int) -> list[float]:
    """``vector`` when it is a non-empty list of JSON numbers (``true`` is not one)."""
    if not isinstance(vector, list) or not vector:
        raise ResponseFormatError(
            f"embedding {index} is not a non-empty list of numbers: {str(vector)[:100]}"
        )
    for position, value in enumerate(vector):
        if type(value) is not float and type(value) is not int:
            raise ResponseFormatError(
                f"element {position} of embedding {index} is not a number: {value!r:.50}"
            )
    return vector
