"""Request bodies and answers, byte for byte as TEI speaks them."""

import base64
import json

import numpy as np
import pytest

from oci_tei._errors import ConfigurationError, ResponseFormatError
from oci_tei._protocol import (
    RequestOptions,
    decode_embeddings,
    encode_body,
    encode_text,
    route_style,
)


def _b64(values):
    return base64.b64encode(np.asarray(values, dtype="<f4").tobytes()).decode()


def test_openai_body():
    options = RequestOptions(dimensions=128, model="bge")
    body = encode_body([encode_text("a"), encode_text("b")], options, options.tail())
    assert json.loads(body) == {
        "input": ["a", "b"],
        "encoding_format": "base64",
        "model": "bge",
        "dimensions": 128,
    }


def test_native_body():
    options = RequestOptions(
        style="native", normalize=False, truncate=True, truncation_direction="left"
    )
    body = encode_body([encode_text("a")], options, options.tail())
    assert json.loads(body) == {
        "inputs": ["a"],
        "normalize": False,
        "truncate": True,
        "truncation_direction": "left",
    }


def test_native_options_need_the_native_route():
    with pytest.raises(ConfigurationError, match="route='/embed'"):
        RequestOptions(style="openai", normalize=False)


@pytest.mark.parametrize(
    ("route", "style"),
    [
        (None, "openai"),
        ("/v1/embeddings", "openai"),
        ("/embeddings", "openai"),
        ("/embed", "native"),
    ],
)
def test_route_styles(route, style):
    assert route_style(route) == style


def test_non_embedding_route_refused():
    with pytest.raises(ConfigurationError, match="not an embedding route"):
        route_style("/rerank")


def test_base64_items_are_decoded_and_ordered_by_index():
    body = json.dumps(
        {
            "object": "list",
            "data": [
                {"object": "embedding", "embedding": _b64([3.0, 4.0]), "index": 1},
                {"object": "embedding", "embedding": _b64([1.0, 2.0]), "index": 0},
            ],
        }
    ).encode()
    assert decode_embeddings(body, 2, RequestOptions()) == [[1.0, 2.0], [3.0, 4.0]]


def test_float_items_accepted_when_base64_was_asked():
    body = json.dumps({"data": [{"embedding": [0.5, 0.25], "index": 0}]}).encode()
    assert decode_embeddings(body, 1, RequestOptions()) == [[0.5, 0.25]]


def test_native_answer():
    assert decode_embeddings(b"[[1.0],[2.0]]", 2, RequestOptions(style="native")) == [[1.0], [2.0]]


@pytest.mark.parametrize(
    ("body", "expected", "match"),
    [
        (b"<html>", 1, "not JSON"),
        (b'{"data": [{"embedding": [1.0], "index": 0}]}', 2, "expected 2"),
        (
            b'{"data": [{"embedding": [1.0], "index": 0}, {"embedding": [1.0], "index": 0}]}',
            2,
            "repeated",
        ),
        (b'{"data": [{"embedding": "!!!", "index": 0}]}', 1, "base64"),
        (b'{"data": [{"embedding": "AAA=", "index": 0}]}', 1, "float32"),
        (b'{"error": "x"}', 1, "'data'"),
        (b"[[1.0]]", 2, "expected 2"),
        # Elements that are not numbers, from either route.
        (b'{"data": [{"embedding": [1.0, "2"], "index": 0}]}', 1, "element 1 of embedding 0"),
        (b'{"data": [{"embedding": [null], "index": 0}]}', 1, "element 0 of embedding 0"),
        (b'{"data": [{"embedding": [true], "index": 0}]}', 1, "not a number"),
        (b'{"data": [{"embedding": [[1.0]], "index": 0}]}', 1, "not a number"),
        (b'{"data": [{"embedding": [], "index": 0}]}', 1, "non-empty list"),
        (b'[[1.0], ["x"]]', 2, "element 0 of embedding 1"),
        (b"[[1.0], 2.0]", 2, "embedding 1 is not a non-empty list"),
        (b'[[1.0], {"a": 1}]', 2, "embedding 1 is not"),
        (b"[[1.0], [1.0, 2.0]]", 2, "different lengths"),
    ],
)
def test_malformed_answers(body, expected, match):
    with pytest.raises(ResponseFormatError, match=match):
        decode_embeddings(body, expected, RequestOptions())


def test_dimensions_are_checked():
    body = json.dumps({"data": [{"embedding": [1.0, 2.0], "index": 0}]}).encode()
    with pytest.raises(ResponseFormatError, match=r"1\.8"):
        decode_embeddings(body, 1, RequestOptions(dimensions=1))
