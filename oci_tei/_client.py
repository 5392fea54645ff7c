"""``EmbeddingClient``: embed texts through TEI or an OCI Model Deployment, sync or async.

One client per configuration. It validates and encodes inputs up front, cuts them into
batches on demand, runs batches concurrently (worker threads for ``embed``, tasks on the
running loop for ``aembed``), and writes each batch's vectors to its inputs' positions,
so the result always has one vector per input, in input order — or the call raises.

On the first failure the remaining batches are not started and the error with the lowest
input index is raised; nothing is logged and swallowed.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar, TypeVar

import numpy as np

from oci_tei import __version__
from oci_tei._batching import Batch, BatchLimits, BatchPlanner, encode_input, encode_inputs
from oci_tei._engine import Engine
from oci_tei._errors import CallAbandoned, ResponseFormatError
from oci_tei._inflight import InFlightLimit
from oci_tei._operations import EmbedOperation, Operation, Vectors
from oci_tei._protocol import Array
from oci_tei._rate_limit import RequestRateLimiter
from oci_tei._retry import RetryPolicy
from oci_tei._settings import ClientSettings, EmbeddingSettings
from oci_tei._streaming import (
    ArrayOperation,
    Chunk,
    OnRefusal,
    Source,
    astream,
    passthrough,
    stream,
)
from oci_tei._transport import AsyncTransport, SyncTransport
from oci_tei._usage import Usage, UsageMeter, metered

__all__ = ["EmbeddingClient", "EngineClient"]


R = TypeVar("R")
_C = TypeVar("_C", bound="EngineClient")


class EngineClient:
    """What every client shares: endpoint, signer, engine, transports, concurrent batches.

    Subclasses validate and encode their inputs into a ``BatchPlanner`` and pass it
    with an ``Operation`` to ``_run`` or ``_arun``, which
    run the batches concurrently and hand each batch's results to ``place``.
    """

    #: The settings class whose fields the constructor accepts as keyword options.
    settings_class: ClassVar[type[ClientSettings]] = ClientSettings

    def __init__(self, settings: ClientSettings | None = None, /, **options: Any) -> None:
        """Create a client from settings or from the same options as keyword arguments.

        No I/O happens here: the signer is built and connections are opened on first use.
        """
        if settings is None:
            settings = self.settings_class(**options)
        elif options:
            raise TypeError("pass either settings or keyword options, not both")
        elif not isinstance(settings, self.settings_class):
            raise TypeError(
                f"{type(self).__name__} takes {self.settings_class.__name__}, "
                f"not {type(settings).__name__}"
            )
        self.settings = settings
        endpoint = settings.parsed_endpoint()
        self.signer = settings.request_signer() if endpoint.signed else None
        self._endpoint = endpoint
        self._engine: Engine | None = None
        self._engine_lock = threading.Lock()
        # TEI gives each input in flight one of its permits: stay within them.
        permits = settings.server_permits // settings.batch_size
        concurrency = max(1, min(settings.max_concurrency, permits))
        self.max_concurrency = concurrency
        # One bound for the client, however it is called: threads, loops, or both at once.
        self._in_flight = InFlightLimit(concurrency)
        rate = settings.max_requests_per_second
        # Like the in-flight bound, one request rate for the whole client.
        self._rate = RequestRateLimiter(rate) if rate else None
        self._sync = SyncTransport(self.signer, self._in_flight, self._rate)
        self._async = AsyncTransport(self.signer, self._in_flight, self._rate)
        self._executor: ThreadPoolExecutor | None = None
        self._usage = UsageMeter()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(endpoint={str(self._endpoint)!r}, signer={self.signer!r})"

    def _run(
        self,
        planner: BatchPlanner,
        operation: Operation[R],
        place: Callable[[Batch, R], None],
        *,
        show_progress: bool | None,
        desc: str,
    ) -> None:
        """Run every batch of ``planner`` on worker threads; ``place`` stores results."""
        engine = self._get_engine()
        self._sync.run(engine.discover())
        with self._progress(show_progress, planner.total, desc) as progress:

            def work(batch: Batch) -> None:
                steps = metered(engine.run_batch(batch, operation), self._usage)
                place(batch, self._sync.run(steps, planner.stopped))
                progress.update(len(batch))

            workers = min(self.max_concurrency, planner.estimated_batches())
            if workers <= 1:
                _drain(planner, work)
            else:
                executor = self._get_executor()
                futures = [executor.submit(_drain, planner, work) for _ in range(workers)]
                errors = [f.exception() for f in futures]
                _raise_first([e for e in errors if e is not None])

    async def _arun(
        self,
        planner: BatchPlanner,
        operation: Operation[R],
        place: Callable[[Batch, R], None],
        *,
        show_progress: bool | None,
        desc: str,
    ) -> None:
        """Async ``_run``: batches run as tasks on the running event loop."""
        engine = self._get_engine()
        await self._async.prepare()
        await self._async.run(engine.discover())
        with self._progress(show_progress, planner.total, desc) as progress:

            async def drain() -> None:
                try:
                    while (batch := planner.next_batch()) is not None:
                        steps = metered(engine.run_batch(batch, operation), self._usage)
                        place(batch, await self._async.run(steps))
                        progress.update(len(batch))
                except BaseException:
                    planner.stop()
                    raise

            workers = min(self.max_concurrency, planner.estimated_batches())
            tasks = [asyncio.ensure_future(drain()) for _ in range(max(1, workers))]
            try:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            finally:
                for task in tasks:
                    task.cancel()
                outcomes = await asyncio.gather(*tasks, return_exceptions=True)
            _raise_first([o for o in outcomes if isinstance(o, BaseException)])

    def usage(self) -> Usage:
        """Requests, retries and body bytes this client has sent and received so far."""
        return self._usage.snapshot()

    def close(self) -> None:
        """Release connections and worker threads (reopened if the client is used again).

        Pools of event loops still running close on their loop, soon after; a loop's pool
        also closes by itself when the loop shuts down (``asyncio.run``).
        """
        self._sync.close()
        self._async.close()
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False)

    async def aclose(self) -> None:
        """Release the running loop's connections, and the sync ones."""
        await self._async.aclose()
        self.close()

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    async def __aenter__(self: _C) -> _C:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    # -- internals -------------------------------------------------------------------

    def _progress(self, show: bool | None, total: int | None, desc: str) -> _Progress:
        enabled = self.settings.show_progress if show is None else show
        return _Progress(enabled and (total is None or total > 1), total, desc)

    def _get_engine(self) -> Engine:
        # Resolving an OCID endpoint imports the SDK's region table: done on first use.
        engine = self._engine
        if engine is None:
            with self._engine_lock:
                if self._engine is None:
                    settings = self.settings
                    self._engine = Engine(
                        endpoint=self._endpoint.resolve(),
                        limits=BatchLimits(settings.batch_size, settings.max_request_bytes),
                        retry=RetryPolicy(
                            max_retries=settings.max_retries,
                            deadline=settings.retry_deadline,
                            backoff_base=settings.retry_backoff,
                        ),
                        timeout=settings.timeout,
                        api_key=(settings.api_key.get_secret_value() if settings.api_key else None),
                        user_agent=f"oci-tei/{__version__}",
                    )
                engine = self._engine
        return engine

    def _get_executor(self) -> ThreadPoolExecutor:
        with self._engine_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self.max_concurrency, thread_name_prefix="oci-tei"
                )
            return self._executor


class EmbeddingClient(EngineClient):
    """Embeds texts; safe to share between threads and event loops.

    Example:
        >>> client = EmbeddingClient(endpoint="http://127.0.0.1:8080")  # doctest: +SKIP
        >>> client.embed_documents(["first chunk", "second chunk"])  # doctest: +SKIP
    """

    settings: EmbeddingSettings
    settings_class = EmbeddingSettings

    def __init__(self, settings: EmbeddingSettings | None = None, /, **options: Any) -> None:
        """Create a client from ``EmbeddingSettings`` or the same keyword options."""
        super().__init__(settings, **options)
        self._operation = EmbedOperation(self.settings.request_options())
        self._arrays = ArrayOperation(self._operation)

    def embed_documents(
        self, texts: Sequence[str], *, show_progress: bool | None = None
    ) -> list[list[float]]:
        """Embed documents (with ``document_instruction`` prepended, when set)."""
        return self.embed(
            texts, instruction=self.settings.document_instruction, show_progress=show_progress
        )

    def embed_query(self, text: str) -> list[float]:
        """Embed one query (with ``query_instruction`` prepended, when set)."""
        return self.embed([text], instruction=self.settings.query_instruction)[0]

    async def aembed_documents(
        self, texts: Sequence[str], *, show_progress: bool | None = None
    ) -> list[list[float]]:
        """Async ``embed_documents``."""
        return await self.aembed(
            texts, instruction=self.settings.document_instruction, show_progress=show_progress
        )

    async def aembed_query(self, text: str) -> list[float]:
        """Async ``embed_query``."""
        return (await self.aembed([text], instruction=self.settings.query_instruction))[0]

    def embed(
        self,
        texts: Sequence[str],
        *,
        instruction: str | None = None,
        show_progress: bool | None = None,
    ) -> list[list[float]]:
        """Embed ``texts``: one vector per input, in order.

        Args:
            texts: The inputs. ``[]`` returns ``[]`` without a request.
            instruction: Prepended to every input.
            show_progress: Override the client's ``show_progress`` for this call.

        Raises:
            TypeError: An input is not a string (``InputTypeError``).
            ValueError: An input is empty (``InvalidInputError``).
            OCITEIError: Any failure after retries; see ``oci_tei._errors``.
        """
        planner = self._plan(texts, instruction)
        if planner is None:
            return []
        results, place = _slots(planner.total)
        self._run(planner, self._operation, place, show_progress=show_progress, desc="Embedding")
        return results

    async def aembed(
        self,
        texts: Sequence[str],
        *,
        instruction: str | None = None,
        show_progress: bool | None = None,
    ) -> list[list[float]]:
        """Async ``embed``, concurrent on the running event loop."""
        planner = self._plan(texts, instruction)
        if planner is None:
            return []
        results, place = _slots(planner.total)
        await self._arun(
            planner, self._operation, place, show_progress=show_progress, desc="Embedding"
        )
        return results

    # -- arrays and streams ---------------------------------------------------------

    def embed_array(
        self,
        texts: Iterable[str],
        *,
        instruction: str | None = None,
        show_progress: bool | None = None,
    ) -> Array:
        """Embed ``texts`` into one float32 array of shape ``(len(texts), d)``.

        The vectors ``embed_documents`` returns, in the same order, decoded from the
        answers' base64 straight into the array: about 4 bytes per number instead of the
        ~32 of a Python float in a list. A list is checked whole before anything is sent,
        as ``embed`` does; any other iterable is read into a list first (use
        ``iter_embed`` for inputs that do not fit in memory).

        Args:
            texts: The inputs; an empty one returns a ``(0, 0)`` array without a request.
            instruction: Prepended to every input; default the client's
                ``document_instruction`` (pass ``""`` for none).
            show_progress: Override the client's ``show_progress`` for this call.

        Raises:
            TypeError: An input is not a string (``InputTypeError``).
            ValueError: An input is empty (``InvalidInputError``).
            OCITEIError: Any failure after retries; see ``oci_tei._errors``.
        """
        source, total = self._array_source(texts, instruction)
        out: Array | None = None
        for chunk in self._chunks(source, _ARRAY_CHUNK, "raise", show_progress, total):
            out = _place(out, chunk, total)
        return out if out is not None else np.empty((0, 0), dtype=np.float32)

    async def aembed_array(
        self,
        texts: Iterable[str],
        *,
        instruction: str | None = None,
        show_progress: bool | None = None,
    ) -> Array:
        """Async ``embed_array``, concurrent on the running event loop."""
        source, total = self._array_source(texts, instruction)
        out: Array | None = None
        async for chunk in self._achunks(source, _ARRAY_CHUNK, "raise", show_progress, total):
            out = _place(out, chunk, total)
        return out if out is not None else np.empty((0, 0), dtype=np.float32)

    def iter_embed(
        self,
        texts: Iterable[str],
        *,
        chunk_size: int = 1024,
        instruction: str | None = None,
        show_progress: bool | None = None,
    ) -> Iterator[Array]:
        """Embed any iterable lazily: float32 arrays of ``chunk_size`` rows, in input order.

        Inputs are read only as answers come back — at most ``chunk_size`` plus
        2 × ``max_concurrency`` × ``batch_size`` of them are held at once — so a generator
        over a file of any size streams through in bounded memory. Concatenated, the
        arrays are exactly what ``embed_array`` returns for the same inputs (the last
        one may be shorter).

        Args:
            texts: Any iterable of strings (a generator included).
            chunk_size: Rows per yielded array.
            instruction: As for ``embed_array``.
            show_progress: Override the client's ``show_progress`` (no total is known).

        Raises:
            TypeError, ValueError, OCITEIError: As ``embed_array``, when the stream
                reaches the input at fault; the arrays before it have been yielded.
        """
        source = self._source(texts, chunk_size, instruction)
        for chunk in self._chunks(source, chunk_size, "raise", show_progress, None):
            yield chunk.vectors

    async def aiter_embed(
        self,
        texts: Iterable[str],
        *,
        chunk_size: int = 1024,
        instruction: str | None = None,
        show_progress: bool | None = None,
    ) -> AsyncIterator[Array]:
        """Async ``iter_embed``, concurrent on the running event loop."""
        source = self._source(texts, chunk_size, instruction)
        async for chunk in self._achunks(source, chunk_size, "raise", show_progress, None):
            yield chunk.vectors

    def stream_chunks(
        self,
        texts: Iterable[str],
        *,
        chunk_size: int,
        on_refusal: OnRefusal,
        instruction: str | None = None,
    ) -> Iterator[Chunk]:
        """``iter_embed`` for tools that handle refused inputs (``oci-tei embed``).

        Each ``Chunk`` says which inputs it covers and which
        the server refused; ``on_refusal`` is ``"raise"``, ``"skip"`` or ``"stop"``.
        """
        source = self._source(texts, chunk_size, instruction)
        return self._chunks(source, chunk_size, on_refusal, False, None)

    def _source(self, texts: Iterable[object], chunk_size: int, instruction: str | None) -> Source:
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be positive, got {chunk_size}")
        engine = self._get_engine()
        prefix = self._document_prefix(instruction)
        overhead = self._operation.overhead
        limits = engine.limits

        def encode(index: int, text: object) -> bytes:
            budget = limits.max_bytes - overhead
            return encode_input(index, text, prefix=prefix, max_fragment_bytes=budget)

        return Source(texts, encode, limits, overhead, chunk_size)

    def _array_source(self, texts: Iterable[str], instruction: str | None) -> tuple[Source, int]:
        # A list is checked whole first: bad input fails before anything is sent.
        items = texts if isinstance(texts, Sequence) else list(texts)
        engine = self._get_engine()
        overhead = self._operation.overhead
        fragments = encode_inputs(
            items,
            prefix=self._document_prefix(instruction),
            max_fragment_bytes=engine.limits.max_bytes - overhead,
        )
        source = Source(fragments, passthrough, engine.limits, overhead, _ARRAY_CHUNK)
        return source, len(fragments)

    def _document_prefix(self, instruction: str | None) -> str:
        return self.settings.document_instruction or "" if instruction is None else instruction

    def _window(self) -> int:
        # Twice the concurrency: a worker finishing finds the next batch already cut.
        return 2 * self.max_concurrency

    def _chunks(
        self,
        source: Source,
        chunk_size: int,
        on_refusal: OnRefusal,
        show_progress: bool | None,
        total: int | None,
    ) -> Iterator[Chunk]:
        engine, operation = self._get_engine(), self._arrays
        self._sync.run(engine.discover())
        with self._progress(show_progress, total, "Embedding") as progress:
            for chunk in stream(
                source,
                lambda batch: metered(engine.run_batch(batch, operation), self._usage),
                self._sync.run,
                self._get_executor(),
                window=self._window(),
                chunk_size=chunk_size,
                on_refusal=on_refusal,
            ):
                progress.update(chunk.count)
                yield chunk

    async def _achunks(
        self,
        source: Source,
        chunk_size: int,
        on_refusal: OnRefusal,
        show_progress: bool | None,
        total: int | None,
    ) -> AsyncIterator[Chunk]:
        engine, operation = self._get_engine(), self._arrays
        await self._async.prepare()
        await self._async.run(engine.discover())
        with self._progress(show_progress, total, "Embedding") as progress:
            async for chunk in astream(
                source,
                lambda batch: metered(engine.run_batch(batch, operation), self._usage),
                self._async.run,
                window=self._window(),
                chunk_size=chunk_size,
                on_refusal=on_refusal,
            ):
                progress.update(chunk.count)
                yield chunk

    def _plan(self, texts: Sequence[str], instruction: str | None) -> BatchPlanner | None:
        engine = self._get_engine()
        overhead = self._operation.overhead
        fragments = encode_inputs(
            texts,
            prefix=instruction or "",
            max_fragment_bytes=engine.limits.max_bytes - overhead,
        )
        if not fragments:
            return None
        return BatchPlanner(fragments, engine.limits, overhead)


def _slots(total: int) -> tuple[Vectors, Callable[[Batch, Vectors], None]]:
    """A result list with one slot per input, and the callback that fills a batch's slots."""
    results: Vectors = [[] for _ in range(total)]

    def place(batch: Batch, vectors: Vectors) -> None:
        results[batch.start : batch.start + len(batch)] = vectors

    return results, place


# Rows per chunk inside embed_array: bounds what is held besides the output array.
_ARRAY_CHUNK = 4096


def _place(out: Array | None, chunk: Chunk, total: int) -> Array:
    """Copy a chunk's rows into the output, allocated once the width is known."""
    vectors = chunk.vectors
    if out is None:
        out = np.empty((total, vectors.shape[1]), dtype=np.float32)
    elif vectors.shape[1] != out.shape[1]:
        raise ResponseFormatError(
            f"the server answered {vectors.shape[1]}-dimension vectors for inputs from "
            f"{chunk.start}, {out.shape[1]} before"
        )
    out[chunk.start : chunk.start + chunk.count] = vectors
    return out


def _drain(planner: BatchPlanner, work: Callable[[Batch], None]) -> None:
    """Run batches until none are left; on failure, stop handing out more."""
    try:
        while (batch := planner.next_batch()) is not None:
            work(batch)
    except BaseException:
        planner.stop()
        raise


def _raise_first(errors: Sequence[BaseException]) -> None:
    """Raise the failure about the earliest inputs (deterministic across runs)."""
    if not errors:
        return
    aborted = (asyncio.CancelledError, CallAbandoned)
    cancelled = [e for e in errors if isinstance(e, aborted)]
    real = [e for e in errors if not isinstance(e, aborted)]
    if not real:
        raise cancelled[0]

    def position(error: BaseException) -> int:
        index = getattr(error, "input_index", None)
        return index if isinstance(index, int) else 1 << 62

    raise min(real, key=position)


class _Progress:
    """A tqdm bar when asked for, else nothing; updates from any thread."""

    def __init__(self, enabled: bool, total: int | None, desc: str) -> None:
        self._bar: Any = None
        if enabled:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=desc, unit="input")
        self._lock = threading.Lock()

    def update(self, count: int) -> None:
        if self._bar is not None:
            with self._lock:
                self._bar.update(count)

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *_: object) -> None:
        if self._bar is not None:
            self._bar.close()
