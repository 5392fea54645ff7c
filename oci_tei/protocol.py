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
from typing import Any, Literal

import numpy as np

from oci_tei.errors import ConfigurationError, ResponseFormatError

__all__ = [
    "RequestOptions",
    "RouteStyle",
    "decode_embeddings",
    "encode_body",
    "encode_text",
    "route_style",
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
    """One input as a JSON string fragment (UTF-8, not ASCII-escaped: fewer bytes)."""
    return json.dumps(text, ensure_ascii=False).encode("utf-8")


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
    the indices and, when ``dimensions`` was asked, the vector length.

    Raises:
        ResponseFormatError: Anything else.
    """
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ResponseFormatError(
            f"the server answered 200 with a body that is not JSON: {body[:200]!r}"
        ) from None
    vectors = _openai_vectors(payload, expected) if isinstance(payload, dict) else payload
    if not isinstance(vectors, list) or len(vectors) != expected:
        got = len(vectors) if isinstance(vectors, list) else type(vectors).__name__
        raise ResponseFormatError(f"expected {expected} embeddings, the server returned {got}")
    if not isinstance(payload, dict):  # TEI's native /embed: a bare list of float lists
        vectors = [_float_list(vector, index) for index, vector in enumerate(vectors)]
    if len({len(vector) for vector in vectors}) > 1:
        raise ResponseFormatError(
            f"the server returned vectors of different lengths in one answer: "
            f"{sorted({len(vector) for vector in vectors})}"
        )
    if options.dimensions is not None:
        for vector in vectors:
            if len(vector) != options.dimensions:
                raise ResponseFormatError(
                    f"asked for {options.dimensions} dimensions, got {len(vector)}: the "
                    "server ignores `dimensions` (needs TEI 1.8+) or the model cannot "
                    "shorten its vectors"
                )
    return vectors


def _openai_vectors(payload: dict[str, Any], expected: int) -> list[list[float]]:
    data = payload.get("data")
    if not isinstance(data, list):
        raise ResponseFormatError(f"no 'data' list in the answer: {str(payload)[:200]}")
    if len(data) != expected:
        raise ResponseFormatError(
            f"expected {expected} embeddings, the server returned {len(data)}"
        )
    ordered: list[list[float] | None] = [None] * expected
    for position, item in enumerate(data):
        index = item.get("index", position) if isinstance(item, dict) else None
        if not isinstance(index, int) or not 0 <= index < expected or ordered[index] is not None:
            raise ResponseFormatError(f"bad or repeated index in item {position} of 'data'")
        ordered[index] = _vector(item.get("embedding"), index)
    return [vector for vector in ordered if vector is not None]


def _vector(embedding: object, index: int) -> list[float]:
    if isinstance(embedding, str):
        try:
            raw = base64.b64decode(embedding, validate=True)
        except (binascii.Error, ValueError):
            raise ResponseFormatError(f"embedding {index} is not valid base64") from None
        if len(raw) % 4:
            raise ResponseFormatError(f"embedding {index} is not a float32 array")
        vector: list[float] = np.frombuffer(raw, dtype="<f4").tolist()
        return vector
    if isinstance(embedding, list):
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
