"""``EmbeddingClient``: embed texts through TEI or an OCI Model Deployment, sync or async.

One client per configuration. Every call runs through the one scheduler
(``oci_tei._scheduler``): a list (``embed``, ``embed_documents``) is validated and encoded
up front and collected from the same stream ``iter_embed`` and ``oci-tei embed`` read, so
concurrency (worker threads, or tasks on the running loop), cancellation and progress
exist once. The result always has one vector per input, in input order — or the call
raises.

On the first failure of a list call, the batches still running are abandoned and the
error with the lowest input index is raised; nothing is logged and swallowed.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from oci_tei import __version__
from oci_tei._batching import BatchLimits, encode_input, encode_inputs
from oci_tei._engine import Engine
from oci_tei._errors import ResponseFormatError
from oci_tei._inflight import InFlightLimit
from oci_tei._operations import ArrayOperation, EmbedOperation, Operation
from oci_tei._rate_limit import RequestRateLimiter
from oci_tei._retry import RetryPolicy
from oci_tei._scheduler import (
    Chunk,
    OnRefusal,
    Source,
    encoded_source,
    quiet_thread,
    run_async,
    run_sync,
)
from oci_tei._settings import ClientSettings, EmbeddingSettings
from oci_tei._transport import AsyncTransport, SyncTransport
from oci_tei._usage import Usage, UsageMeter, metered

if TYPE_CHECKING:
    from oci_tei._protocol import Array

__all__ = ["EmbeddingClient", "EngineClient"]


R = TypeVar("R")
_C = TypeVar("_C", bound="EngineClient")


class EngineClient:
    """What every client shares: endpoint, signer, engine, transports, concurrent batches.

    Subclasses check and encode their inputs and hand them, with an ``Operation``, to
    ``_collect``/``_acollect`` (a list) or ``_stream``/``_astream`` (a stream): every
    call runs through the one scheduler, ``oci_tei._scheduler``.
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

    def _stream(
        self,
        source: Source,
        operation: Operation[R],
        *,
        chunk_size: int,
        on_refusal: OnRefusal = "raise",
        show_progress: bool | None = False,
        total: int | None = None,
        desc: str = "Embedding",
        collect: bool = False,
    ) -> Iterator[Chunk[R]]:
        """Every call, sync: ``source`` through the scheduler on worker threads."""
        engine = self._get_engine()
        self._sync.run(engine.discover())
        with self._progress(show_progress, total, desc) as progress:
            yield from run_sync(
                source,
                operation,
                lambda batch: metered(engine.run_batch(batch, operation), self._usage),
                self._sync.run,
                self._get_executor,
                window=self._window(),
                chunk_size=chunk_size,
                on_refusal=on_refusal,
                progress=progress.update,
                collect=collect,
            )

    async def _astream(
        self,
        source: Source,
        operation: Operation[R],
        *,
        chunk_size: int,
        on_refusal: OnRefusal = "raise",
        show_progress: bool | None = False,
        total: int | None = None,
        desc: str = "Embedding",
        collect: bool = False,
    ) -> AsyncIterator[Chunk[R]]:
        """Every call, async: ``source`` through the scheduler as tasks on the running loop."""
        engine = self._get_engine()
        await self._async.prepare()
        await self._async.run(engine.discover())
        with self._progress(show_progress, total, desc) as progress:
            async for chunk in run_async(
                source,
                operation,
                lambda batch: metered(engine.run_batch(batch, operation), self._usage),
                self._async.run,
                window=self._window(),
                chunk_size=chunk_size,
                on_refusal=on_refusal,
                progress=progress.update,
                collect=collect,
            ):
                yield chunk

    def _collect(
        self,
        fragments: Sequence[bytes],
        operation: Operation[R],
        *,
        show_progress: bool | None,
        desc: str,
    ) -> R:
        """A list call: its inputs, checked and encoded, as one collected stream."""
        source = self._list_source(fragments, operation)
        chunks = self._stream(
            source,
            operation,
            chunk_size=len(fragments),
            show_progress=show_progress,
            total=len(fragments),
            desc=desc,
            collect=True,
        )
        return _only(list(chunks), operation)

    async def _acollect(
        self,
        fragments: Sequence[bytes],
        operation: Operation[R],
        *,
        show_progress: bool | None,
        desc: str,
    ) -> R:
        """Async ``_collect``."""
        source = self._list_source(fragments, operation)
        chunks = [
            chunk
            async for chunk in self._astream(
                source,
                operation,
                chunk_size=len(fragments),
                show_progress=show_progress,
                total=len(fragments),
                desc=desc,
                collect=True,
            )
        ]
        return _only(chunks, operation)

    def _list_source(self, fragments: Sequence[bytes], operation: Operation[Any]) -> Source:
        limits = self._get_engine().limits
        return encoded_source(fragments, limits, operation.overhead, max(1, len(fragments)))

    def _window(self) -> int:
        # Twice the concurrency: a worker finishing finds the next batch already cut.
        return 2 * self.max_concurrency

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
                    max_workers=self.max_concurrency,
                    thread_name_prefix="oci-tei",
                    initializer=quiet_thread,  # Ctrl-C reaches the caller's thread
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
        fragments = self._encode(texts, instruction or "")
        if not fragments:
            return []
        return self._collect(
            fragments, self._operation, show_progress=show_progress, desc="Embedding"
        )

    async def aembed(
        self,
        texts: Sequence[str],
        *,
        instruction: str | None = None,
        show_progress: bool | None = None,
    ) -> list[list[float]]:
        """Async ``embed``, concurrent on the running event loop."""
        fragments = self._encode(texts, instruction or "")
        if not fragments:
            return []
        return await self._acollect(
            fragments, self._operation, show_progress=show_progress, desc="Embedding"
        )

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
        chunks = self._stream(
            source, self._arrays, chunk_size=_ARRAY_CHUNK, show_progress=show_progress, total=total
        )
        out: Array | None = None
        for chunk in chunks:
            out = _place(out, chunk, total)
        return out if out is not None else self._arrays.join([])

    async def aembed_array(
        self,
        texts: Iterable[str],
        *,
        instruction: str | None = None,
        show_progress: bool | None = None,
    ) -> Array:
        """Async ``embed_array``, concurrent on the running event loop."""
        source, total = self._array_source(texts, instruction)
        chunks = self._astream(
            source, self._arrays, chunk_size=_ARRAY_CHUNK, show_progress=show_progress, total=total
        )
        out: Array | None = None
        async for chunk in chunks:
            out = _place(out, chunk, total)
        return out if out is not None else self._arrays.join([])

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
        chunks = self._stream(
            source, self._arrays, chunk_size=chunk_size, show_progress=show_progress
        )
        for chunk in chunks:
            yield chunk.results

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
        chunks = self._astream(
            source, self._arrays, chunk_size=chunk_size, show_progress=show_progress
        )
        async for chunk in chunks:
            yield chunk.results

    def stream_chunks(
        self,
        texts: Iterable[str],
        *,
        chunk_size: int,
        on_refusal: OnRefusal,
        instruction: str | None = None,
    ) -> Iterator[Chunk[Array]]:
        """``iter_embed`` for tools that handle refused inputs (``oci-tei embed``).

        Each ``Chunk`` says which inputs it covers and which
        the server refused; ``on_refusal`` is ``"raise"``, ``"skip"`` or ``"stop"``.
        """
        source = self._source(texts, chunk_size, instruction)
        return self._stream(source, self._arrays, chunk_size=chunk_size, on_refusal=on_refusal)

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
        fragments = self._encode(items, self._document_prefix(instruction))
        limits = self._get_engine().limits
        source = encoded_source(fragments, limits, self._operation.overhead, _ARRAY_CHUNK)
        return source, len(fragments)

    def _encode(self, texts: Sequence[str], prefix: str) -> list[bytes]:
        """Every input checked and encoded before anything is sent."""
        budget = self._get_engine().limits.max_bytes - self._operation.overhead
        return encode_inputs(texts, prefix=prefix, max_fragment_bytes=budget)

    def _document_prefix(self, instruction: str | None) -> str:
        return self.settings.document_instruction or "" if instruction is None else instruction


def _only(chunks: list[Chunk[R]], operation: Operation[R]) -> R:
    """The results of a collected call: its one chunk's."""
    return chunks[0].results if len(chunks) == 1 else operation.join([c.results for c in chunks])


# Rows per chunk inside embed_array: bounds what is held besides the output array.
_ARRAY_CHUNK = 4096


def _place(out: Array | None, chunk: Chunk[Array], total: int) -> Array:
    """Copy a chunk's rows into the output, allocated once the width is known."""
    import numpy as np

    vectors = chunk.results
    if out is None:
        out = np.empty((total, vectors.shape[1]), dtype=np.float32)
    elif vectors.shape[1] != out.shape[1]:
        raise ResponseFormatError(
            f"the server answered {vectors.shape[1]}-dimension vectors for inputs from "
            f"{chunk.start}, {out.shape[1]} before"
        )
    out[chunk.start : chunk.start + chunk.count] = vectors
    return out


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
