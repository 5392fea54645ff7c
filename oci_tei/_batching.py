"""Checking inputs and cutting them into requests that fit every limit on the way.

Inputs are validated and JSON-encoded before anything is sent, so a bad input fails the
call with its index while nothing has been spent. Batches are then cut lazily by the
scheduler's source (``oci_tei._scheduler``) under the shared :class:`BatchLimits`: when the
server teaches a smaller batch limit mid-call (TEI's "batch size N > maximum allowed batch
size M"), every batch cut after that respects it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring

from oci_tei._errors import InputTypeError, InvalidInputError, PayloadTooLargeError
from oci_tei._protocol import encode_text

__all__ = ["Batch", "BatchLimits", "encode_input", "encode_inputs"]


def encode_inputs(
    texts: Sequence[str], *, prefix: str = "", max_fragment_bytes: int
) -> list[bytes]:
    """Validate every input and encode it as a JSON string fragment.

    Args:
        texts: The caller's inputs.
        prefix: An instruction prepended to each input (e.g. bge's query instruction).
        max_fragment_bytes: The largest encoded input that still fits in one request.

    Raises:
        TypeError: ``texts`` is a single string rather than a list of them.
        InputTypeError: An input is not a string (a ``TypeError``).
        InvalidInputError: An input is empty or whitespace only (a ``ValueError``):
            TEI would refuse the whole batch with 400.
        PayloadTooLargeError: An input too large for any request.
    """
    if isinstance(texts, (str, bytes)):
        raise TypeError("expected a list of strings, got a single string: wrap it in a list")
    # In bulk first (C loops); on any doubt, input by input, which names the one at fault.
    try:
        if all(map(str.strip, texts)):
            prefixed = map(prefix.__add__, texts) if prefix else texts
            # encode_text, mapped: json's C string encoder, then UTF-8.
            fragments = list(map(str.encode, map(encode_basestring, prefixed)))
            if not fragments or max(map(len, fragments)) <= max_fragment_bytes:
                return fragments
    except (TypeError, UnicodeEncodeError):
        pass
    return [
        encode_input(index, text, prefix=prefix, max_fragment_bytes=max_fragment_bytes)
        for index, text in enumerate(texts)
    ]


def encode_input(index: int, text: object, *, prefix: str = "", max_fragment_bytes: int) -> bytes:
    """Validate one input and encode it as a JSON string fragment; errors name ``index``.

    Raises:
        InputTypeError: Not a string.
        InvalidInputError: Empty, whitespace only, or not valid Unicode.
        PayloadTooLargeError: Too large for any request.
    """
    if not isinstance(text, str):
        raise InputTypeError(f"input {index} is {type(text).__name__}, not str", input_index=index)
    if not text.strip():
        raise InvalidInputError(
            f"input {index} is empty or whitespace only (TEI refuses the whole batch)",
            input_index=index,
        )
    try:
        fragment = encode_text(prefix + text)
    except UnicodeEncodeError as exc:
        raise InvalidInputError(
            f"input {index} is not valid Unicode text ({exc.reason})", input_index=index
        ) from None
    if len(fragment) > max_fragment_bytes:
        raise PayloadTooLargeError(
            f"input {index} is {len(fragment)} bytes encoded, over the "
            f"{max_fragment_bytes}-byte request limit: split it into smaller chunks",
            input_index=index,
        )
    return fragment


@dataclass(frozen=True)
class Batch:
    """Consecutive inputs sent in one request.

    Attributes:
        start: Index, in the caller's list, of the first input.
        fragments: The inputs, JSON-encoded.
    """

    start: int
    fragments: Sequence[bytes]

    def __len__(self) -> int:
        return len(self.fragments)

    def split(self, size: int) -> list[Batch]:
        """Consecutive sub-batches of at most ``size`` inputs."""
        return [
            Batch(self.start + offset, self.fragments[offset : offset + size])
            for offset in range(0, len(self.fragments), size)
        ]

    def halves(self) -> list[Batch]:
        """Two sub-batches (used to find the one input a server refuses)."""
        return self.split((len(self.fragments) + 1) // 2)


class BatchLimits:
    """What a batch may hold; starts from the configuration, shrinks as servers teach.

    Shared by every call of one client, so a limit learned once is never exceeded again.
    """

    def __init__(self, max_count: int, max_bytes: int) -> None:
        self._lock = threading.Lock()
        self.max_count = max_count
        self.max_bytes = max_bytes
        self.discovered = False

    def learn_count(self, count: int) -> None:
        """Lower the batch size to a server's maximum."""
        with self._lock:
            self.max_count = max(1, min(self.max_count, count))

    def learn_bytes(self, size: int) -> None:
        """Lower the request size after a server refused ``size`` bytes as too large."""
        with self._lock:
            self.max_bytes = max(1, min(self.max_bytes, size))
