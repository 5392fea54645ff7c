"""TEI's request bodies, checked field by field with serde's wording.

A body of the wrong shape gets axum's 422 ``Failed to deserialize the JSON body into the
target type: <field>: <serde message>``. Unknown fields are ignored, as serde does by
default; that is also why a TEI 1.5 server ignores ``dimensions``. serde's trailing
``at line L column C`` is not reproduced.
"""

from __future__ import annotations

__all__ = [
    "DecodeRequest",
    "EmbedRequest",
    "Inputs",
    "OpenAIRequest",
    "PredictRequest",
    "RerankRequest",
    "SimilarityRequest",
    "TokenizeRequest",
    "parse_decode",
    "parse_embed",
    "parse_embed_tokens",
    "parse_openai",
    "parse_predict",
    "parse_rerank",
    "parse_similarity",
    "parse_tokenize",
    "parse_vertex",
    "rejecting",
    "shape_error",
]

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeVar

from oci_tei_local._errors import Rejection
from oci_tei_local._settings import Compat
from oci_tei_local._tokenization import EncodingInput, TruncationDirection

_T = TypeVar("_T")
_U32_MAX: Final = 2**32 - 1
_USIZE_MAX: Final = 2**64 - 1
_MISSING: Final = object()


class _FieldError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Inputs:
    """``Input``: one input or a batch; each input is text or token ids.

    Attributes:
        items: The inputs.
        single: Sent as one value rather than a list (TEI's ``Input::Single``).
    """

    items: list[EncodingInput]
    single: bool


@dataclass(frozen=True)
class EmbedRequest:
    """``/embed``, ``/embed_all`` and ``/embed_sparse``."""

    inputs: Inputs
    truncate: bool | None
    truncation_direction: TruncationDirection
    prompt_name: str | None
    normalize: bool
    dimensions: int | None


@dataclass(frozen=True)
class OpenAIRequest:
    """``/v1/embeddings`` and ``/embeddings``."""

    input: Inputs
    model: str | None
    encoding_format: Literal["float", "base64"]
    dimensions: int | None


@dataclass(frozen=True)
class TokenizeRequest:
    """``/tokenize``."""

    inputs: list[str]
    single: bool
    add_special_tokens: bool
    prompt_name: str | None


@dataclass(frozen=True)
class DecodeRequest:
    """``/decode``."""

    ids: list[list[int]]
    single: bool
    skip_special_tokens: bool


@dataclass(frozen=True)
class PredictRequest:
    """``/predict``: texts or pairs of texts to classify."""

    inputs: list[EncodingInput]
    single: bool
    truncate: bool | None = None
    truncation_direction: TruncationDirection = "right"
    raw_scores: bool = False

    @property
    def size(self) -> int:
        """Number of inputs."""
        return len(self.inputs)


@dataclass(frozen=True)
class RerankRequest:
    """``/rerank``: a query and the texts to score against it."""

    query: str
    texts: list[str]
    truncate: bool | None = None
    truncation_direction: TruncationDirection = "right"
    raw_scores: bool = False
    return_text: bool = False


@dataclass(frozen=True)
class SimilarityRequest:
    """``/similarity``."""

    source_sentence: str
    sentences: list[str]
    truncate: bool | None
    truncation_direction: TruncationDirection
    prompt_name: str | None


def parse_embed(body: Any, compat: Compat) -> EmbedRequest:
    """Parse an ``EmbedRequest`` (``dimensions`` exists from TEI 1.8 on)."""
    fields = _struct(body, "EmbedRequest")
    return EmbedRequest(
        inputs=_field(fields, "inputs", _input),
        truncate=_field(fields, "truncate", _optional(_bool), None),
        truncation_direction=_field(fields, "truncation_direction", _direction, "right"),
        prompt_name=_field(fields, "prompt_name", _optional(_str), None),
        normalize=_field(fields, "normalize", _bool, True),
        dimensions=(
            None if compat == "1.5" else _field(fields, "dimensions", _optional(_usize), None)
        ),
    )


def parse_embed_tokens(body: Any) -> EmbedRequest:
    """Parse an ``EmbedAllRequest``/``EmbedSparseRequest`` (no ``normalize``, ``dimensions``)."""
    fields = _struct(body, "EmbedAllRequest")
    return EmbedRequest(
        inputs=_field(fields, "inputs", _input),
        truncate=_field(fields, "truncate", _optional(_bool), None),
        truncation_direction=_field(fields, "truncation_direction", _direction, "right"),
        prompt_name=_field(fields, "prompt_name", _optional(_str), None),
        normalize=False,
        dimensions=None,
    )


def parse_openai(body: Any, compat: Compat) -> OpenAIRequest:
    """Parse an ``OpenAICompatRequest`` (``dimensions`` exists from TEI 1.8 on)."""
    fields = _struct(body, "OpenAICompatRequest")
    _field(fields, "user", _optional(_str), None)
    return OpenAIRequest(
        input=_field(fields, "input", _input),
        model=_field(fields, "model", _optional(_str), None),
        encoding_format=_field(fields, "encoding_format", _encoding_format, "float"),
        dimensions=(
            None if compat == "1.5" else _field(fields, "dimensions", _optional(_usize), None)
        ),
    )


def parse_tokenize(body: Any) -> TokenizeRequest:
    """Parse a ``TokenizeRequest``."""
    fields = _struct(body, "TokenizeRequest")
    value = _field(fields, "inputs", _identity)
    if isinstance(value, str):
        inputs, single = [value], True
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        inputs, single = list(value), False
    else:
        raise _untagged("inputs", "TokenizeInput")
    return TokenizeRequest(
        inputs=inputs,
        single=single,
        add_special_tokens=_field(fields, "add_special_tokens", _bool, True),
        prompt_name=_field(fields, "prompt_name", _optional(_str), None),
    )


def parse_decode(body: Any) -> DecodeRequest:
    """Parse a ``DecodeRequest``."""
    fields = _struct(body, "DecodeRequest")
    value = _field(fields, "ids", _identity)
    if _is_u32_list(value):
        ids, single = [list(value)], True
    elif isinstance(value, list) and all(_is_u32_list(item) for item in value):
        ids, single = [list(item) for item in value], False
    else:
        raise _untagged("ids", "InputIds")
    return DecodeRequest(
        ids=ids,
        single=single,
        skip_special_tokens=_field(fields, "skip_special_tokens", _bool, True),
    )


def parse_predict(body: Any) -> PredictRequest:
    """Parse a ``PredictRequest`` (a string, a pair, or a batch of singles and pairs)."""
    fields = _struct(body, "PredictRequest")
    value = _field(fields, "inputs", _identity)
    expecting = (
        "a string, a pair of strings [string, string] or a batch of mixed strings and "
        "pairs [[string], [string, string], ...]"
    )
    if isinstance(value, str):
        inputs, single = [_one_or_pair([value])], True
    elif isinstance(value, list) and value and isinstance(value[0], str):
        if len(value) > 2 or not all(isinstance(item, str) for item in value):
            raise _FieldError(f"inputs: invalid length {len(value)}, expected {expecting}")
        inputs, single = [_one_or_pair(value)], True
    elif isinstance(value, list) and value:
        for item in value:
            if not (isinstance(item, list) and all(isinstance(text, str) for text in item)):
                raise _FieldError(f"inputs: invalid type: {_unexpected(item)}, expected a sequence")
            if len(item) not in (1, 2):
                raise _FieldError(f"inputs: invalid length {len(item)}, expected {expecting}")
        inputs, single = [_one_or_pair(item) for item in value], False
    elif isinstance(value, list):
        raise _FieldError(f"inputs: invalid length 0, expected {expecting}")
    else:
        raise _FieldError(f"inputs: invalid type: {_unexpected(value)}, expected {expecting}")
    return PredictRequest(
        inputs=inputs,
        single=single,
        truncate=_field(fields, "truncate", _optional(_bool), None),
        truncation_direction=_field(fields, "truncation_direction", _direction, "right"),
        raw_scores=_field(fields, "raw_scores", _bool, False),
    )


def _one_or_pair(texts: list[str]) -> EncodingInput:
    return texts[0] if len(texts) == 1 else (texts[0], texts[1])


def parse_rerank(body: Any) -> RerankRequest:
    """Parse a ``RerankRequest``."""
    fields = _struct(body, "RerankRequest")
    return RerankRequest(
        query=_field(fields, "query", _str),
        texts=_field(fields, "texts", _list_of(_str)),
        truncate=_field(fields, "truncate", _optional(_bool), None),
        truncation_direction=_field(fields, "truncation_direction", _direction, "right"),
        raw_scores=_field(fields, "raw_scores", _bool, False),
        return_text=_field(fields, "return_text", _bool, False),
    )


def parse_similarity(body: Any) -> SimilarityRequest:
    """Parse a ``SimilarityRequest``."""
    fields = _struct(body, "SimilarityRequest")
    inputs = _field(fields, "inputs", _identity)
    inner = _struct(inputs, "SimilarityInput", path="inputs")
    parameters = _field(fields, "parameters", _identity, None)
    options: Mapping[str, Any] = (
        {} if parameters is None else _struct(parameters, "SimilarityParameters", "parameters")
    )
    return SimilarityRequest(
        source_sentence=_field(inner, "source_sentence", _str, path="inputs"),
        sentences=_field(inner, "sentences", _list_of(_str), path="inputs"),
        truncate=_field(options, "truncate", _optional(_bool), None, path="parameters"),
        truncation_direction=_field(
            options, "truncation_direction", _direction, "right", path="parameters"
        ),
        prompt_name=_field(options, "prompt_name", _optional(_str), None, path="parameters"),
    )


def parse_vertex(body: Any) -> list[Any]:
    """Parse a ``VertexRequest``: its ``instances``, each checked later."""
    fields = _struct(body, "VertexRequest")
    return list(_field(fields, "instances", _list_of(_identity)))


def rejecting(parse: Callable[..., _T], *args: Any) -> _T:
    """Run a parser; a shape error becomes axum's 422 rejection.

    Raises:
        Rejection: 422 with serde's message.
    """
    try:
        return parse(*args)
    except _FieldError as error:
        raise Rejection.json_data(error.message) from None


def shape_error(parse: Callable[..., _T], *args: Any) -> _T | str:
    """Run a parser; a shape error is returned as serde's message (``/vertex`` reports it)."""
    try:
        return parse(*args)
    except _FieldError as error:
        return error.message


# --- serde-like building blocks ------------------------------------------------------


def _struct(value: Any, name: str, path: str = "") -> Mapping[str, Any]:
    if not isinstance(value, dict):
        prefix = f"{path}: " if path else ""
        raise _FieldError(f"{prefix}invalid type: {_unexpected(value)}, expected struct {name}")
    return value


def _field(
    fields: Mapping[str, Any],
    name: str,
    parse: Callable[[Any], _T],
    default: Any = _MISSING,
    *,
    path: str = "",
) -> _T:
    where = f"{path}.{name}" if path else name
    if name not in fields:
        if default is _MISSING:
            prefix = f"{path}: " if path else ""
            raise _FieldError(f"{prefix}missing field `{name}`")
        return default  # type: ignore[no-any-return]
    try:
        return parse(fields[name])
    except _FieldError as error:
        raise _FieldError(f"{where}: {error.message}") from None


def _identity(value: Any) -> Any:
    return value


def _optional(parse: Callable[[Any], _T]) -> Callable[[Any], _T | None]:
    def parse_optional(value: Any) -> _T | None:
        return None if value is None else parse(value)

    return parse_optional


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _FieldError(f"invalid type: {_unexpected(value)}, expected a boolean")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise _FieldError(f"invalid type: {_unexpected(value)}, expected a string")
    return value


def _usize(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _FieldError(f"invalid type: {_unexpected(value)}, expected usize")
    if not 0 <= value <= _USIZE_MAX:
        raise _FieldError(f"invalid value: integer `{value}`, expected usize")
    return value


def _list_of(parse: Callable[[Any], _T]) -> Callable[[Any], list[_T]]:
    def parse_list(value: Any) -> list[_T]:
        if not isinstance(value, list):
            raise _FieldError(f"invalid type: {_unexpected(value)}, expected a sequence")
        return [parse(item) for item in value]

    return parse_list


def _direction(value: Any) -> TruncationDirection:
    if not isinstance(value, str):
        raise _FieldError(f"invalid type: {_unexpected(value)}, expected variant identifier")
    if value in ("Left", "left"):
        return "left"
    if value in ("Right", "right"):
        return "right"
    raise _FieldError(f"unknown variant `{value}`, expected `Left` or `Right`")


def _encoding_format(value: Any) -> Literal["float", "base64"]:
    if not isinstance(value, str):
        raise _FieldError(f"invalid type: {_unexpected(value)}, expected variant identifier")
    if value == "float":
        return "float"
    if value == "base64":
        return "base64"
    raise _FieldError(f"unknown variant `{value}`, expected `float` or `base64`")


def _input(value: Any) -> Inputs:
    # serde tries `Single(String | Vec<u32>)` before `Batch(Vec<String | Vec<u32>>)`, so
    # `[]` and `[1, 2]` are one token-id input, not a batch.
    if isinstance(value, str):
        return Inputs([value], single=True)
    if _is_u32_list(value):
        return Inputs([list(value)], single=True)
    if isinstance(value, list) and all(isinstance(i, str) or _is_u32_list(i) for i in value):
        return Inputs([i if isinstance(i, str) else list(i) for i in value], single=False)
    raise _FieldError("data did not match any variant of untagged enum Input")


def _untagged(field: str, name: str) -> _FieldError:
    return _FieldError(f"{field}: data did not match any variant of untagged enum {name}")


def _is_u32_list(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(item, int) and not isinstance(item, bool) and 0 <= item <= _U32_MAX
        for item in value
    )


def _unexpected(value: Any) -> str:
    """The wording of serde's ``Unexpected`` for a JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean `{str(value).lower()}`"
    if isinstance(value, int):
        return f"integer `{value}`"
    if isinstance(value, float):
        return f"floating point `{value}`"
    if isinstance(value, str):
        return f'string "{value}"'
    if isinstance(value, list):
        return "sequence"
    return "map"
