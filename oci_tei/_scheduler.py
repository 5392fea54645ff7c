"""The one scheduler: inputs in, results out in input order, batches run concurrently.

Every call of a client runs here: ``embed``/``embed_documents``/``rerank`` (a list is a
collected stream), ``embed_array``, ``iter_embed`` and ``oci-tei embed``, sync or async.
So concurrency, cancellation, progress and the handling of refused inputs exist once.

Three layers, like the engine's (``oci_tei._engine``) steps and transports:

* :class:`Source` pulls inputs lazily and cuts batches under the client's current limits;
* :class:`Flow` makes every decision of a call without I/O: which batch to start next (at
  most ``window`` are in flight or waiting), what a failed batch means, when a chunk of
  answers is complete, what ``Ctrl-C`` or a failure abandons;
* :func:`run_sync` (worker threads) and :func:`run_async` (tasks on the running loop) only
  start batches, wait for them and report to the flow. Each batch is the engine's
  generator of steps, driven by the sync or async transport.

Inputs are pulled only as fast as answers come back, and answers are handed on in chunks
of ``chunk_size`` inputs, so memory stays bounded whatever the input's length.

A *refusal* is an input the server (or the client's own checks) will not embed: an empty
string, a non-string, one too large for a request, one TEI answers 400/413/422 for. What
happens on one is the caller's policy:

* ``raise`` (the public API): raise its error, naming its index, once the chunks before
  it have been handed on;
* ``skip`` (``oci-tei embed --on-error skip``): report it in its chunk's ``refused`` list
  and go on;
* ``stop`` (``oci-tei embed``'s default): hand on everything before it, then a last
  chunk that reports it, and end.

Any other failure (authentication, 5xx after retries, a reader's error) always raises. A
*collected* call (a list: nothing is handed on before the end) fails fast instead: on the
first failure every other batch is abandoned, and the error about the lowest input index
is raised once they have stopped.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import signal
import threading
from bisect import bisect_right
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
from itertools import accumulate
from typing import Any, Generic, Literal, TypeAlias, TypeVar

from oci_tei._batching import Batch, BatchLimits
from oci_tei._engine import Outcome, Step
from oci_tei._errors import CallAbandoned, InvalidInputError, OCITEIError, PayloadTooLargeError
from oci_tei._operations import Operation

__all__ = [
    "Chunk",
    "Flow",
    "OnRefusal",
    "Refusal",
    "Source",
    "encoded_source",
    "is_refusal",
    "quiet_thread",
    "result",
    "run_async",
    "run_sync",
]

R = TypeVar("R")
H = TypeVar("H")

OnRefusal: TypeAlias = Literal["raise", "skip", "stop"]
#: Turns one input into its request fragment, or raises a refusal naming its index.
Encoder: TypeAlias = Callable[[int, object], bytes]
#: A batch's steps through the engine, counted by the client.
BatchSteps: TypeAlias = Callable[[Batch], Generator[Step, Outcome, Any]]


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
class Chunk(Generic[R]):
    """Consecutive inputs ``start .. start + count - 1`` and their results.

    Attributes:
        start: Index of the first input.
        count: Inputs covered, refused ones included.
        results: The operation's results for the inputs not refused, joined in order
            (float32 ``(count - len(refused), d)`` for arrays).
        refused: The inputs not embedded (only under the ``skip`` and ``stop`` policies).
    """

    start: int
    count: int
    results: R
    refused: list[Refusal] = field(default_factory=list)


class Source:
    """Pulls inputs lazily and cuts them into batches that never cross a chunk boundary.

    Batches are cut when they are about to be sent, under the client's current limits,
    so a batch limit a server teaches mid-call applies to every later batch.

    Args:
        inputs: The caller's inputs.
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
        #: True once no input is left to cut.
        self.exhausted = False

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


class _EncodedSource(Source):
    """A :class:`Source` over inputs checked and encoded beforehand (a list's)."""

    def __init__(
        self, fragments: Sequence[bytes], limits: BatchLimits, overhead: int, chunk_size: int
    ) -> None:
        super().__init__((), _never, limits, overhead, chunk_size)
        self._fragments = fragments
        self._next = 0
        self.exhausted = not fragments

    def next_entry(self) -> Batch | None:
        start, total = self._next, len(self._fragments)
        if start >= total:
            return None
        chunk_end = (start // self._chunk_size + 1) * self._chunk_size
        end = min(total, start + self._limits.max_count, chunk_end)
        window = self._fragments[start:end]
        # Bytes of the first k fragments with their commas: sizes[k - 1] + k - 1. The
        # first one always goes (it was checked to fit a request alone).
        sizes = list(accumulate(map(len, window)))
        budget = self._limits.max_bytes - self._overhead
        count = max(1, bisect_right(range(len(sizes)), budget, key=lambda k: sizes[k] + k))
        self._next = start + count
        self.exhausted = self._next >= total
        return Batch(start, window[:count] if count < len(window) else window)


def _never(_: int, __: object) -> bytes:  # pragma: no cover - an encoded source pulls nothing
    raise AssertionError("nothing to encode")


def encoded_source(
    fragments: Sequence[bytes], limits: BatchLimits, overhead: int, chunk_size: int
) -> Source:
    """A source over inputs already checked and encoded (``encode_inputs``)."""
    return _EncodedSource(fragments, limits, overhead, chunk_size)


class _Assembler(Generic[R]):
    """Collects answers in input order and hands them on as chunks."""

    def __init__(self, operation: Operation[R], chunk_size: int) -> None:
        self._operation = operation
        self._chunk_size = chunk_size
        self._start = 0
        self._count = 0
        self._parts: list[R] = []
        self._refused: list[Refusal] = []

    def add(self, count: int, results: R | None = None, refusal: Refusal | None = None) -> None:
        self._count += count
        if results is not None:
            self._parts.append(results)
        if refusal is not None:
            self._refused.append(refusal)

    def take(self, *, final: bool = False) -> Chunk[R] | None:
        if self._count == 0 or (self._count < self._chunk_size and not final):
            return None
        parts = self._parts
        results = parts[0] if len(parts) == 1 else self._operation.join(parts)
        chunk = Chunk(self._start, self._count, results, self._refused)
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


class Flow(Generic[R, H]):
    """The decisions of one call, apart from how batches run (threads or tasks).

    The queue holds, in input order, batches handed to a runner (with the runner's
    handle ``H``) and refused inputs; the driver takes the head, waits for it and
    reports the outcome here.

    Args:
        source: The inputs.
        operation: What a batch's request and results are.
        send: Starts a batch; returns the runner's handle.
        abandon: Tells a started batch to give up (it is not waited for).
        window: Batches in flight or queued, at most.
        chunk_size: Inputs per chunk.
        on_refusal: What a refused input does.
        progress: Called with the number of inputs each finished batch or refusal covers.
    """

    def __init__(
        self,
        source: Source,
        operation: Operation[R],
        send: Callable[[Batch], H],
        abandon: Callable[[H], None],
        *,
        window: int,
        chunk_size: int,
        on_refusal: OnRefusal,
        progress: Callable[[int], None],
    ) -> None:
        self.source = source
        self._send = send
        self._abandon = abandon
        self._window = window
        self._policy = on_refusal
        self._progress = progress
        self._queue: deque[tuple[Batch, H] | Refusal] = deque()
        self._assembler = _Assembler(operation, chunk_size)
        self._halted = False  # pull nothing more
        self._ended = False  # hand on nothing more
        self._head: tuple[Batch, H] | Refusal | None = None

    def _submit(self, batch: Batch) -> tuple[Batch, H]:
        return batch, self._send(batch)

    @property
    def queued(self) -> bool:
        """Whether entries wait behind the head."""
        return bool(self._queue)

    def next(self) -> tuple[Batch, H] | Refusal | None:
        """Top up the queue, then take its head; None when everything is handed on."""
        while not self._halted and len(self._queue) < self._window:
            entry = self.source.next_entry()
            if entry is None:
                break
            self._queue.append(self._submit(entry) if isinstance(entry, Batch) else entry)
            # After a refused input, sending more only helps when skipping it.
            self._halted = isinstance(entry, Refusal) and self._policy != "skip"
        if self._ended or not self._queue:
            self._head = None
            return None
        # Kept until the next one is taken: the driver may be stopped waiting for it.
        self._head = self._queue.popleft()
        return self._head

    def done(self, batch: Batch, results: R) -> Chunk[R] | None:
        """A batch's results; returns a completed chunk, if any."""
        self._assembler.add(len(batch), results)
        self._progress(len(batch))
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

    def refused(self, refusal: Refusal) -> Chunk[R] | None:
        """A refused input reached the head of the queue."""
        if self._policy == "raise":
            raise refusal.error
        self._assembler.add(1, refusal=refusal)
        self._progress(1)
        if self._policy == "stop":
            self._ended = True
            return self._assembler.take(final=True)
        return self._assembler.take()

    def finish(self) -> Chunk[R] | None:
        """The last, partial chunk."""
        return None if self._ended else self._assembler.take(final=True)

    def outstanding(self) -> list[H]:
        """The handles of every batch started and not yet handed on (the head's included)."""
        entries = [self._head, *self._queue]
        return [
            entry[1] for entry in entries if entry is not None and not isinstance(entry, Refusal)
        ]

    def close(self) -> None:
        """Abandon every batch still queued or awaited.

        The consumer stopped, the call failed, or the wait for the head was interrupted
        (Ctrl-C): nothing is retried for a call that is over.
        """
        for handle in self.outstanding():
            self._abandon(handle)


def raise_first(errors: Sequence[BaseException]) -> None:
    """Raise the failure about the earliest inputs (deterministic across runs).

    Batches abandoned because another failed (``CallAbandoned``, a cancelled task) only
    count when nothing else failed.
    """
    if not errors:
        return
    aborted = (asyncio.CancelledError, CallAbandoned)
    real = [error for error in errors if not isinstance(error, aborted)]
    if not real:
        raise errors[0]

    def position(error: BaseException) -> int:
        index = getattr(error, "input_index", None)
        return index if isinstance(index, int) else 1 << 62

    raise min(real, key=position)


# -- the sync driver: worker threads ----------------------------------------------------

#: Seconds between two looks at a pending Ctrl-C while the caller's thread waits.
_POLL = 0.2


def result(future: Future[R]) -> R:
    """``future.result()``, waited for in short slices.

    Ctrl-C raises ``KeyboardInterrupt`` in the main thread only, and only when that thread
    runs. The kernel may hand SIGINT to any thread that does not block it (a worker, a
    progress bar's monitor): a thread blocked in one long wait would then not see it until
    the future completes, when the abandoned request's own failure (TEI answers 424 for a
    request dropped mid-batch) may be raised in its place. A wait that wakes every
    ``_POLL`` seconds raises the ``KeyboardInterrupt`` at once.
    """
    while True:
        try:
            return future.result(timeout=_POLL)
        except concurrent.futures.TimeoutError:
            continue


def quiet_thread() -> None:
    """Initializer of worker threads: SIGINT goes to the main thread, never to them.

    Worker threads cannot act on it (Python runs signal handlers in the main thread only)
    and, receiving it, would leave the main thread's wait uninterrupted.
    """
    if hasattr(signal, "pthread_sigmask"):  # POSIX
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


@dataclass
class _Sent:
    """A batch handed to a worker thread, or kept to run in the caller's thread."""

    future: Future[Any]
    abandon: threading.Event
    steps: Generator[Step, Outcome, Any] | None = None  # set: run inline when waited for


def run_sync(
    source: Source,
    operation: Operation[R],
    steps: BatchSteps,
    run: Callable[[Generator[Step, Outcome, Any], threading.Event], Any],
    executor: Callable[[], ThreadPoolExecutor],
    *,
    window: int,
    chunk_size: int,
    on_refusal: OnRefusal,
    progress: Callable[[int], None],
    collect: bool = False,
) -> Iterator[Chunk[R]]:
    """Run a call on worker threads; chunks in input order.

    The last batch of a call, when nothing else is queued, runs in the caller's thread
    (one-batch calls, such as ``embed_query``, never touch the pool).

    Args:
        source: The inputs.
        operation: The request and result of a batch.
        steps: A batch's engine steps.
        run: The sync transport's driver: (steps, abandon event) -> results.
        executor: The client's worker threads (made on first use).
        window: Batches in flight or queued, at most.
        chunk_size: Inputs per chunk.
        on_refusal: What a refused input does.
        progress: Told how many inputs each batch covered.
        collect: Fail fast (a list call): see the module's docstring.
    """
    failure: Future[None] = Future()

    def noticed(future: Future[Any]) -> None:
        if not future.cancelled() and future.exception() is not None:
            with contextlib.suppress(concurrent.futures.InvalidStateError):  # one failed first
                failure.set_result(None)

    # Every batch handed out, registered before it reaches a thread: a Ctrl-C landing
    # between the two still reaches the batch, which then sends nothing.
    live: deque[_Sent] = deque()

    def send(batch: Batch) -> _Sent:
        while live and live[0].future.done():
            live.popleft()
        sent = _Sent(Future(), threading.Event())
        live.append(sent)
        if source.exhausted and not flow.queued:
            sent.steps = steps(batch)  # the last one: run in this thread when waited for
            return sent
        sent.future = executor().submit(run, steps(batch), sent.abandon)
        if collect:
            sent.future.add_done_callback(noticed)
        return sent

    def abandon(sent: _Sent) -> None:
        sent.abandon.set()
        sent.future.cancel()

    def abandon_all() -> None:
        flow.close()
        for sent in live:
            sent.abandon.set()

    def wait(sent: _Sent) -> Any:
        if sent.steps is not None and sent.future.set_running_or_notify_cancel():
            try:
                sent.future.set_result(run(sent.steps, sent.abandon))
            except BaseException as error:
                sent.future.set_exception(error)
                if not isinstance(error, Exception):  # KeyboardInterrupt, SystemExit
                    raise
        elif collect:
            awaited = [sent.future, failure]
            while not concurrent.futures.wait(awaited, _POLL, "FIRST_COMPLETED").done:
                pass
            if not sent.future.done() or sent.future.exception() is not None:
                fail_fast()
        return result(sent.future)

    def fail_fast() -> None:
        # Abandon everything, wait until every thread let go, raise the earliest error.
        handles = flow.outstanding()
        flow.close()
        for sent in handles:
            with contextlib.suppress(Exception):  # collected below; Ctrl-C goes through
                if not sent.future.cancelled():
                    result(sent.future)
        raise_first(
            [
                error
                for sent in handles
                if not sent.future.cancelled() and (error := sent.future.exception()) is not None
            ]
        )

    flow: Flow[R, _Sent] = Flow(
        source,
        operation,
        send,
        abandon,
        window=window,
        chunk_size=chunk_size,
        on_refusal=on_refusal,
        progress=progress,
    )
    try:
        while (head := flow.next()) is not None:
            if isinstance(head, Refusal):
                chunk = flow.refused(head)
            else:
                batch, sent = head
                try:
                    results = wait(sent)
                except OCITEIError as error:
                    flow.failed(batch, error)
                    continue
                chunk = flow.done(batch, results)
            if chunk is not None:
                yield chunk
        if (chunk := flow.finish()) is not None:
            yield chunk
    finally:
        abandon_all()


# -- the async driver: tasks on the running loop -------------------------------------------


async def run_async(
    source: Source,
    operation: Operation[R],
    steps: BatchSteps,
    run: Callable[[Generator[Step, Outcome, Any]], Coroutine[Any, Any, Any]],
    *,
    window: int,
    chunk_size: int,
    on_refusal: OnRefusal,
    progress: Callable[[int], None],
    collect: bool = False,
) -> AsyncIterator[Chunk[R]]:
    """:func:`run_sync` as tasks on the running event loop (``run``: the async driver)."""
    loop = asyncio.get_running_loop()
    failure: asyncio.Future[None] = loop.create_future()

    def noticed(task: asyncio.Future[Any]) -> None:
        if not task.cancelled() and task.exception() is not None and not failure.done():
            failure.set_result(None)

    def send(batch: Batch) -> asyncio.Future[Any]:
        task = asyncio.ensure_future(run(steps(batch)))
        if collect:
            task.add_done_callback(noticed)
        return task

    async def wait(task: asyncio.Future[Any]) -> Any:
        if collect:
            await asyncio.wait([task, failure], return_when=asyncio.FIRST_COMPLETED)
            if not task.done() or task.cancelled() or task.exception() is not None:
                tasks = flow.outstanding()
                flow.close()
                outcomes = await asyncio.gather(*tasks, return_exceptions=True)
                raise_first([o for o in outcomes if isinstance(o, BaseException)])
        return await task

    flow: Flow[R, asyncio.Future[Any]] = Flow(
        source,
        operation,
        send,
        _cancel,
        window=window,
        chunk_size=chunk_size,
        on_refusal=on_refusal,
        progress=progress,
    )
    try:
        while (head := flow.next()) is not None:
            if isinstance(head, Refusal):
                chunk = flow.refused(head)
            else:
                batch, task = head
                try:
                    results = await wait(task)
                except OCITEIError as error:
                    flow.failed(batch, error)
                    continue
                chunk = flow.done(batch, results)
            if chunk is not None:
                yield chunk
        if (chunk := flow.finish()) is not None:
            yield chunk
    finally:
        flow.close()


def _cancel(task: asyncio.Future[Any]) -> None:
    task.cancel()
