"""Dynamic batching: inputs of concurrent requests share model batches, as in TEI's queue.

Inputs wait in one FIFO queue. Whenever the model is free, the batcher takes as many as
fit in ``--max-batch-tokens`` (counted padded: longest input times batch size, as for a
padded CPU model) and ``--max-batch-requests``, and runs them on a worker thread, so the
event loop keeps answering (``/health`` included) while the model computes. Inputs that
arrive meanwhile form the next batch.
"""

from __future__ import annotations

__all__ = ["Batcher", "Computed"]

import asyncio
import contextlib
import functools
import logging
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from oci_tei_local._backend import Backend, Vector
from oci_tei_local._errors import TEIError
from oci_tei_local._metrics import Metrics
from oci_tei_local._tokenization import Encoded

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Computed:
    """The model's output for one input.

    Attributes:
        vector: Pooled vector, or token embeddings for a raw request.
        queue_seconds: Time spent waiting for a batch.
        inference_seconds: Duration of the batch that computed it.
    """

    vector: Vector
    queue_seconds: float
    inference_seconds: float


@dataclass
class _Entry:
    encoded: Encoded
    raw: bool
    future: asyncio.Future[Computed]
    queued_at: float


class Batcher:
    """Coalesces queued inputs into model batches; lives on one event loop.

    Args:
        backend: The model.
        pooling: Pooling for pooled outputs.
        max_batch_tokens: Padded token budget of a batch.
        max_batch_requests: Optional cap on inputs per batch.
        metrics: Where ``te_batch_*`` and ``te_queue_size`` go.
    """

    def __init__(
        self,
        backend: Backend,
        *,
        pooling: str,
        max_batch_tokens: int,
        max_batch_requests: int | None,
        metrics: Metrics,
    ) -> None:
        self._backend = backend
        self._pooling = pooling
        self._max_tokens = max_batch_tokens
        self._max_requests = max_batch_requests
        self._metrics = metrics
        self._queue: deque[_Entry] = deque()
        self._wakeup = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tei-inference")
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        """Model batches run so far."""
        self.healthy = True
        """False after a batch failed, until one succeeds."""

    def start(self) -> None:
        """Start the batching task on the running loop."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="tei-batcher")

    async def close(self) -> None:
        """Stop batching; inputs still queued fail as the backend being down."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        while self._queue:
            entry = self._queue.popleft()
            if not entry.future.done():
                entry.future.set_exception(TEIError.backend("server is shutting down"))
        self._executor.shutdown(wait=True)

    async def submit(self, items: Sequence[Encoded], *, raw: bool = False) -> list[Computed]:
        """Queue inputs and wait for their outputs.

        Args:
            items: Encoded inputs.
            raw: Return token embeddings instead of pooled vectors.

        Returns:
            Outputs in input order.

        Raises:
            TEIError: The batch failed in the model (``Backend``).
        """
        loop = asyncio.get_running_loop()
        now = time.perf_counter()
        futures = []
        for item in items:
            future: asyncio.Future[Computed] = loop.create_future()
            self._queue.append(_Entry(item, raw, future, now))
            futures.append(future)
        self._metrics.gauge("te_queue_size", len(items), delta=True)
        self._wakeup.set()
        return list(await asyncio.gather(*futures))

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._queue:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            batch = self._next_batch()
            if not batch:
                continue
            call = functools.partial(
                self._backend.embed,
                [entry.encoded for entry in batch],
                pooling=self._pooling,
                raw=[entry.raw for entry in batch] if any(e.raw for e in batch) else None,
            )
            started = time.perf_counter()
            try:
                outputs = await loop.run_in_executor(self._executor, call)
            except Exception as exc:
                logger.exception("Batch inference failed")
                self.healthy = False
                for entry in batch:
                    if not entry.future.done():
                        entry.future.set_exception(TEIError.backend(str(exc)))
                continue
            finished = time.perf_counter()
            self.healthy = True
            self.batches += 1
            inference = finished - started
            for entry, output in zip(batch, outputs, strict=True):
                if not entry.future.done():
                    queue = max(finished - entry.queued_at - inference, 0.0)
                    entry.future.set_result(Computed(output, queue, inference))

    def _next_batch(self) -> list[_Entry]:
        batch: list[_Entry] = []
        longest = 0
        while self._queue:
            entry = self._queue[0]
            if entry.future.done():  # the request went away
                self._queue.popleft()
                self._metrics.increment("te_request_failure", err="dropped")
                continue
            length = len(entry.encoded)
            padded = max(longest, length) * (len(batch) + 1)
            if batch and padded > self._max_tokens:
                break
            self._queue.popleft()
            batch.append(entry)
            longest = max(longest, length)
            if self._max_requests is not None and len(batch) >= self._max_requests:
                break
        self._metrics.observe("te_batch_next_size", len(batch))
        self._metrics.observe("te_batch_next_tokens", sum(len(e.encoded) for e in batch))
        self._metrics.gauge("te_queue_size", len(self._queue))
        return batch
