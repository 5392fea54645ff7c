"""What one kind of request is: how a batch becomes a body and how the answer is read.

The engine (``oci_tei._engine``) owns every decision that is the same for all requests —
retry, token refresh, re-split on a learned batch limit, bisection to blame an input,
typed errors. An :class:`Operation` supplies only what differs between TEI's routes:
the body for a batch of pre-encoded inputs, the decoding of a 200 answer into one
result per input, and how the results of sub-batches join back into one. Embeddings
(:class:`EmbedOperation`) and reranking (``oci_tei._rerank``) are two operations of the
same engine; where requests go (URL, ``route`` header) is the client's endpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeVar

from oci_tei._batching import Batch
from oci_tei._protocol import (
    RequestOptions,
    body_overhead,
    decode_array,
    decode_embeddings,
    encode_body,
    stack_arrays,
)

if TYPE_CHECKING:
    from oci_tei._protocol import Array

__all__ = ["ArrayOperation", "EmbedOperation", "Operation", "Vectors"]

R = TypeVar("R")
Vectors = list[list[float]]


class Operation(Protocol[R]):
    """How the engine turns batches into requests and answers into results."""

    @property
    def overhead(self) -> int:
        """Bytes of a body besides its input fragments and their separating commas."""
        ...

    def encode(self, batch: Batch) -> bytes:
        """The request body for ``batch``."""
        ...

    def decode(self, content: bytes, batch: Batch) -> R:
        """The results of a 200 answer for ``batch``: one per input, in input order.

        Raises:
            ResponseFormatError: The answer is not what was asked for.
        """
        ...

    def join(self, parts: Sequence[R]) -> R:
        """One result from the results of consecutive sub-batches of a batch (or none)."""
        ...


@dataclass(frozen=True)
class EmbedOperation:
    """Embeddings: TEI's ``/v1/embeddings`` (OpenAI style) or native ``/embed``."""

    options: RequestOptions
    _tail: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The members after the inputs are the same for every batch: encode them once.
        object.__setattr__(self, "_tail", self.options.tail())

    @property
    def overhead(self) -> int:
        """Bytes of a body besides its inputs."""
        return body_overhead(self.options, self._tail)

    def encode(self, batch: Batch) -> bytes:
        """``{"input": [...], ...}`` or ``{"inputs": [...], ...}``."""
        return encode_body(batch.fragments, self.options, self._tail)

    def decode(self, content: bytes, batch: Batch) -> Vectors:
        """One vector per input, in order (see :func:`oci_tei._protocol.decode_embeddings`)."""
        return decode_embeddings(content, len(batch), self.options)

    def join(self, parts: Sequence[Vectors]) -> Vectors:
        """The sub-batches' vectors, concatenated in order."""
        return [vector for part in parts for vector in part]


@dataclass(frozen=True)
class ArrayOperation:
    """Embeddings as float32 arrays: the request of ``embed``, decoded without Python floats."""

    embed: EmbedOperation

    @property
    def overhead(self) -> int:
        """Bytes of a body besides its inputs."""
        return self.embed.overhead

    def encode(self, batch: Batch) -> bytes:
        """The same body ``embed`` sends."""
        return self.embed.encode(batch)

    def decode(self, content: bytes, batch: Batch) -> Array:
        """A ``(len(batch), d)`` float32 array (see :func:`oci_tei._protocol.decode_array`)."""
        return decode_array(content, len(batch), self.embed.options)

    def join(self, parts: Sequence[Array]) -> Array:
        """The sub-batches' rows, stacked in order; ``(0, 0)`` for none."""
        return stack_arrays(parts)
