"""Streaming embedding: any iterable in, float32 chunks out, in input order (internal).

``EmbeddingClient.iter_embed``/``aiter_embed``/``embed_array``/``aembed_array`` and the
``oci-tei embed`` command run on this. Inputs are pulled from the iterable only as fast
as answers come back: at most ``window`` batches are in flight or waiting, and answers
are handed on in chunks of ``chunk_size`` inputs, so memory stays bounded whatever the
input's length. Each batch runs through the same engine generator as ``embed`` (retries,
re-splits, bisection, refresh), so every guarantee of ``embed`` holds: one vector per
input, in order, or a typed error naming the input.

A *refusal* is an input the server (or the client's own checks) will not embed: an empty
string, a non-string, one too large for a request, one TEI answers 400/413/422 for. What
happens on one is the caller's policy:

* ``raise`` (the public API): raise its error, naming its index, once the chunks before
  it have been handed on;
* ``skip`` (``oci-tei embed --on-error skip``): report it in its chunk's ``refused`` list
  and go on;
* ``stop`` (``oci-tei embed``'s default): hand on everything before it, then a last
  chunk that reports it, and end.

Any other failure (authentication, 5xx after retries, a reader's error) always raises.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import (
    AsyncIterator,
    Callable,
    Coroutine,
    Generator,
    Iterable,
    Iterator,
    Sequence,
)
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeAlias, TypeVar

import numpy as np

from oci_tei._batching import Batch, BatchLimits
from oci_tei._engine import Outcome, Step
from oci_tei._errors import InvalidInputError, OCITEIError, PayloadTooLargeError
from oci_tei._operations import EmbedOperation
from oci_tei._protocol import Array, decode_array, stack_arrays

__all__ = [
    "ArrayOperation",
    "Chunk",
    "OnRefusal",
    "Refusal",
    "Source",
    "astream",
    "is_refusal",
    "passthrough",
    "stream",
]

OnRefusal: TypeAlias = Literal["raise", "skip", "stop"]
#: Turns one input into its request fragment, or raises a refusal naming its index.
Encoder: TypeAlias = Callable[[int, object], bytes]
#: A batch's steps through the engine, counted and rate-limited by the client.
BatchSteps: TypeAlias = Callable[[Batch], Generator[Step, Outcome, Array]]


def is_refusal(error: BaseException) -> bool:
    """Whether ``error`` blames one input (rather than the server, the network or auth)."""
    return (
        isinstance(error, (InvalidInputError, PayloadTooLargeError))
        and error.input_index is not None
    )


@dataclass(frozen=True)
class Refusal:
    """An input that was not embedded, and why."""

    index: int
    error: OCITEIError


@dataclass
class Chunk:
    """Consecutive inputs ``start .. start + count - 1`` and their vectors.

    Attributes:
        start: Index of the first input.
        count: Inputs covered, refused ones included.
        vectors: float32 ``(count - len(refused), d)``: the embedded inputs, in order.
        refused: The inputs not embedded (only under the ``skip`` and ``stop`` policies).
    """

    start: int
    count: int
    vectors: Array
    refused: list[Refusal] = field(default_factory=list)


class Source:
    """Pulls inputs lazily and cuts them into batches that never cross a chunk boundary.

    Batches are cut when they are about to be sent, under the client's current limits,
    so a batch limit a server teaches mid-stream applies to every later batch.

    Args:
        inputs: The caller's inputs (texts, or fragments already encoded).
        encode: Validates and encodes one input.
        limits: The client's batch limits.
        overhead: Bytes of a request body besides its fragments.
        chunk_size: Inputs per chunk.
    """

    def __init__(
        self,
        inputs: Iterable[object],
        encode: Encoder,
        limits: BatchLimits,
        overhead: int,
        chunk_size: int,
    ) -> None:
        if isinstance(inputs, (str, bytes)):
            raise TypeError("expected an iterable of strings, got a single string")
        self._inputs = iter(inputs)
        self._encode = encode
        self._limits = limits
        self._overhead = overhead
        self._chunk_size = chunk_size
        self._index = 0
        self._held: bytes | Refusal | None = None
        self.exhausted = False

    @property
    def pulled(self) -> int:
        """Inputs taken from the iterable so far."""
        return self._index

    def _pull(self) -> bytes | Refusal | None:
        if self._held is not None:
            held, self._held = self._held, None
            return held
        if self.exhausted:
            return None
        try:
            text = next(self._inputs)
        except StopIteration:
            self.exhausted = True
            return None
        index = self._index
        self._index += 1
        try:
            return self._encode(index, text)
        except OCITEIError as error:
            if is_refusal(error):
                return Refusal(index, error)
            raise

    def next_entry(self) -> Batch | Refusal | None:
        """The next batch, or the next refused input, or None at the end."""
        first = self._pull()
        if first is None or isinstance(first, Refusal):
            return first
        start = self._index - 1
        fragments = [first]
        size = len(first)
        max_count = self._limits.max_count
        budget = self._limits.max_bytes - self._overhead
        while len(fragments) < max_count and (start + len(fragments)) % self._chunk_size:
            item = self._pull()
            if item is None:
                break
            if isinstance(item, Refusal) or size + 1 + len(item) > budget:
                self._held = item
                break
            fragments.append(item)
            size += 1 + len(item)
        return Batch(start, fragments)


class _Assembler:
    """Collects answers in input order and hands them on as chunks."""

    def __init__(self, chunk_size: int) -> None:
        self._chunk_size = chunk_size
        self._start = 0
        self._count = 0
        self._parts: list[Array] = []
        self._refused: list[Refusal] = []

    def add(self, count: int, vectors: Array | None = None, refusal: Refusal | None = None) -> None:
        self._count += count
        if vectors is not None:
            self._parts.append(vectors)
        if refusal is not None:
            self._refused.append(refusal)

    def take(self, *, final: bool = False) -> Chunk | None:
        if self._count == 0 or (self._count < self._chunk_size and not final):
            return None
        # A chunk of refused inputs only has no vectors, hence no width either.
        empty = np.empty((0, 0), dtype=np.float32)
        vectors = stack_arrays(self._parts) if self._parts else empty
        chunk = Chunk(self._start, self._count, vectors, self._refused)
        self._start += self._count
        self._count, self._parts, self._refused = 0, [], []
        return chunk


def _around(batch: Batch, index: int) -> tuple[Batch | None, Batch | None]:
    """The parts of ``batch`` before and after input ``index``."""
    offset = index - batch.start
    before = Batch(batch.start, batch.fragments[:offset]) if offset > 0 else None
    rest = batch.fragments[offset + 1 :]
    after = Batch(index + 1, rest) if rest else None
    return before, after


H = TypeVar("H")


class _Flow(Generic[H]):
    """The decisions of a stream, apart from how batches run (threads or tasks).

    The queue holds, in input order, batches handed to a runner (with the runner's
    handle ``H``) and refused inputs; the driver takes the head, waits for it and
    reports the outcome here.
    """

    def __init__(
        self,
        source: Source,
        send: Callable[[Batch], H],
        abandon: Callable[[H], None],
        *,
        window: int,
        chunk_size: int,
        on_refusal: OnRefusal,
    ) -> None:
        self._source = source
        self._send = send
        self._abandon = abandon
        self._window = window
        self._policy = on_refusal
        self._queue: deque[tuple[Batch, H] | Refusal] = deque()
        self._assembler = _Assembler(chunk_size)
        self._halted = False  # pull nothing more
        self._ended = False  # hand on nothing more
        self._head: tuple[Batch, H] | Refusal | None = None

    def _submit(self, batch: Batch) -> tuple[Batch, H]:
        return batch, self._send(batch)

    def next(self) -> tuple[Batch, H] | Refusal | None:
        """Top up the queue, then take its head; None when everything is handed on."""
        while not self._halted and len(self._queue) < self._window:
            entry = self._source.next_entry()
            if entry is None:
                break
            self._queue.append(self._submit(entry) if isinstance(entry, Batch) else entry)
            # After a refused input, sending more only helps when skipping it.
            self._halted = isinstance(entry, Refusal) and self._policy != "skip"
        if self._ended or not self._queue:
            return None
        # Kept until the next one is taken: the driver may be stopped waiting for it.
        self._head = self._queue.popleft()
        return self._head

    def done(self, batch: Batch, vectors: Array) -> Chunk | None:
        """A batch's vectors; returns a completed chunk, if any."""
        self._assembler.add(len(batch), vectors)
        return self._assembler.take()

    def failed(self, batch: Batch, error: BaseException) -> None:
        """A batch's failure: re-queue around a refused input, or raise."""
        if not isinstance(error, OCITEIError) or not is_refusal(error) or self._policy == "raise":
            raise error
        assert error.input_index is not None
        before, after = _around(batch, error.input_index)
        again: list[tuple[Batch, H] | Refusal] = [Refusal(error.input_index, error)]
        if self._policy == "stop":
            self.close()
            self._queue.clear()
            self._halted = True
        elif after is not None:
            again.append(self._submit(after))
        if before is not None:
            again.insert(0, self._submit(before))
        self._queue.extendleft(reversed(again))

    def refused(self, refusal: Refusal) -> Chunk | None:
        """A refused input reached the head of the queue."""
        if self._policy == "raise":
            raise refusal.error
        self._assembler.add(1, refusal=refusal)
        if self._policy == "stop":
            self._ended = True
            return self._assembler.take(final=True)
        return self._assembler.take()

    def finish(self) -> Chunk | None:
        """The last, partial chunk."""
        return None if self._ended else self._assembler.take(final=True)

    def close(self) -> None:
        """Abandon every batch still queued or awaited.

        The consumer stopped, the stream failed, or the wait for the head was interrupted
        (Ctrl-C): nothing is retried for a call that is over.
        """
        entries = [*self._queue, self._head]
        for entry in entries:
            if entry is not None and not isinstance(entry, Refusal):
                self._abandon(entry[1])


@dataclass
class _Sent:
    """A batch handed to a worker thread."""

    future: Future[Array]
    abandon: threading.Event


def stream(
    source: Source,
    steps: BatchSteps,
    run: Callable[[Generator[Step, Outcome, Array], threading.Event], Array],
    executor: ThreadPoolExecutor,
    *,
    window: int,
    chunk_size: int,
    on_refusal: OnRefusal,
) -> Iterator[Chunk]:
    """Embed ``source`` on worker threads; chunks in input order.

    Args:
        source: The inputs.
        steps: A batch's engine steps.
        run: The sync transport's driver: (steps, abandon event) -> vectors.
        executor: The client's worker threads.
        window: Batches in flight or queued, at most.
        chunk_size: Inputs per chunk.
        on_refusal: What a refused input does.
    """

    def send(batch: Batch) -> _Sent:
        abandon = threading.Event()
        return _Sent(executor.submit(run, steps(batch), abandon), abandon)

    def abandon(sent: _Sent) -> None:
        sent.abandon.set()
        sent.future.cancel()

    flow = _Flow(source, send, abandon, window=window, chunk_size=chunk_size, on_refusal=on_refusal)
    try:
        while (head := flow.next()) is not None:
            if isinstance(head, Refusal):
                chunk = flow.refused(head)
            else:
                batch, sent = head
                try:
                    vectors = sent.future.result()
                except OCITEIError as error:
                    flow.failed(batch, error)
                    continue
                chunk = flow.done(batch, vectors)
            if chunk is not None:
                yield chunk
        if (chunk := flow.finish()) is not None:
            yield chunk
    finally:
        flow.close()


async def astream(
    source: Source,
    steps: BatchSteps,
    run: Callable[[Generator[Step, Outcome, Array]], Coroutine[Any, Any, Array]],
    *,
    window: int,
    chunk_size: int,
    on_refusal: OnRefusal,
) -> AsyncIterator[Chunk]:
    """:func:`stream` as tasks on the running event loop (``run``: the async driver)."""

    def send(batch: Batch) -> asyncio.Future[Array]:
        return asyncio.ensure_future(run(steps(batch)))

    flow = _Flow(
        source,
        send,
        _cancel,
        window=window,
        chunk_size=chunk_size,
        on_refusal=on_refusal,
    )
    try:
        while (head := flow.next()) is not None:
            if isinstance(head, Refusal):
                chunk = flow.refused(head)
            else:
                batch, task = head
                try:
                    vectors = await task
                except OCITEIError as error:
                    flow.failed(batch, error)
                    continue
                chunk = flow.done(batch, vectors)
            if chunk is not None:
                yield chunk
        if (chunk := flow.finish()) is not None:
            yield chunk
    finally:
        flow.close()


def _cancel(task: asyncio.Future[Array]) -> None:
    task.cancel()


def passthrough(_: int, fragment: object) -> bytes:
    """The encoder of inputs encoded (and checked) beforehand."""
    assert isinstance(fragment, bytes)
    return fragment


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
        """The sub-batches' rows, stacked in order."""
        return stack_arrays(parts)
