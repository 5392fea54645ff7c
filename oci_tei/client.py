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
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar, TypeVar

from oci_tei import __version__
from oci_tei._inflight import InFlightLimit
from oci_tei.batching import Batch, BatchLimits, BatchPlanner, encode_inputs
from oci_tei.engine import Engine
from oci_tei.errors import CallAbandoned
from oci_tei.operations import EmbedOperation, Operation, Vectors
from oci_tei.retry import RetryPolicy
from oci_tei.settings import ClientSettings, EmbeddingSettings
from oci_tei.transport import AsyncTransport, SyncTransport

__all__ = ["EmbeddingClient", "EngineClient"]

# TEI gives each input one of 512 concurrency permits; stay under it per client.
_TEI_PERMITS = 512

R = TypeVar("R")
_C = TypeVar("_C", bound="EngineClient")


class EngineClient:
    """What every client shares: endpoint, signer, engine, transports, concurrent batches.

    Subclasses validate and encode their inputs into a :class:`BatchPlanner` and pass it
    with an :class:`~oci_tei.operations.Operation` to :meth:`_run` or :meth:`_arun`, which
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
        concurrency = max(1, min(settings.max_concurrency, _TEI_PERMITS // settings.batch_size))
        self.max_concurrency = concurrency
        # One bound for the client, however it is called: threads, loops, or both at once.
        self._in_flight = InFlightLimit(concurrency)
        self._sync = SyncTransport(self.signer, self._in_flight)
        self._async = AsyncTransport(self.signer, self._in_flight)
        self._executor: ThreadPoolExecutor | None = None

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
                place(batch, self._sync.run(engine.run_batch(batch, operation), planner.stopped))
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
        """Async :meth:`_run`: batches run as tasks on the running event loop."""
        engine = self._get_engine()
        await self._async.prepare()
        await self._async.run(engine.discover())
        with self._progress(show_progress, planner.total, desc) as progress:

            async def drain() -> None:
                try:
                    while (batch := planner.next_batch()) is not None:
                        place(batch, await self._async.run(engine.run_batch(batch, operation)))
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

    def _progress(self, show: bool | None, total: int, desc: str) -> _Progress:
        enabled = self.settings.show_progress if show is None else show
        return _Progress(enabled and total > 1, total, desc)

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
        """Create a client from :class:`EmbeddingSettings` or the same keyword options."""
        super().__init__(settings, **options)
        self._operation = EmbedOperation(self.settings.request_options())

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
        """Async :meth:`embed_documents`."""
        return await self.aembed(
            texts, instruction=self.settings.document_instruction, show_progress=show_progress
        )

    async def aembed_query(self, text: str) -> list[float]:
        """Async :meth:`embed_query`."""
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
            TypeError: An input is not a string (:class:`~oci_tei.errors.InputTypeError`).
            ValueError: An input is empty (:class:`~oci_tei.errors.InvalidInputError`).
            OCITEIError: Any failure after retries; see :mod:`oci_tei.errors`.
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
        """Async :meth:`embed`, concurrent on the running event loop."""
        planner = self._plan(texts, instruction)
        if planner is None:
            return []
        results, place = _slots(planner.total)
        await self._arun(
            planner, self._operation, place, show_progress=show_progress, desc="Embedding"
        )
        return results

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

    def __init__(self, enabled: bool, total: int, desc: str) -> None:
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
