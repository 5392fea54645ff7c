"""JSON and base64 encoding of responses, with float32 written as TEI (serde) writes it.

Vectors are float32; TEI prints each with the shortest text that reads back to the same
float32 (``-0.00735207``, not ``-0.007352069951593876``), which also halves the payload.
``orjson`` does that fastest and is used when installed; otherwise numpy's shortest float32
repr is used.
"""

from __future__ import annotations

__all__ = ["b64_float32", "dumps"]

import base64
import json
from collections.abc import Callable
from typing import Any

import numpy as np

try:  # optional accelerator
    import orjson
except ImportError:  # pragma: no cover - exercised only without orjson
    orjson = None  # type: ignore[assignment]


def b64_float32(vector: np.ndarray[Any, Any]) -> str:
    """Base64 of the vector's little-endian float32 bytes (OpenAI ``encoding_format=base64``)."""
    return base64.b64encode(np.ascontiguousarray(vector, dtype="<f4").tobytes()).decode("ascii")


def dumps(value: Any) -> bytes:
    """Serialize ``value`` (JSON types and numpy arrays) to UTF-8 JSON."""
    if orjson is not None:
        return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY)
    return "".join(_fallback(value)).encode("utf-8")


def _fallback(value: Any) -> list[str]:
    parts: list[str] = []
    _write(value, parts.append)
    return parts


def _write(value: Any, out: Callable[[str], None]) -> None:
    if isinstance(value, np.ndarray):
        _write_array(value, out)
    elif isinstance(value, dict):
        out("{")
        for index, (key, item) in enumerate(value.items()):
            out(("," if index else "") + json.dumps(str(key), ensure_ascii=False) + ":")
            _write(item, out)
        out("}")
    elif isinstance(value, list | tuple):
        out("[")
        for index, item in enumerate(value):
            if index:
                out(",")
            _write(item, out)
        out("]")
    elif isinstance(value, np.floating | float) and not np.isfinite(value):
        out("null")
    elif isinstance(value, np.generic):
        out(json.dumps(value.item(), ensure_ascii=False))
    else:
        out(json.dumps(value, ensure_ascii=False))


def _write_array(array: np.ndarray[Any, Any], out: Callable[[str], None]) -> None:
    if array.ndim > 1:
        _write(list(array), out)
        return
    texts = array.astype(np.float32).astype(str)
    texts[~np.isfinite(array)] = "null"
    out("[" + ",".join(texts.tolist()) + "]")
