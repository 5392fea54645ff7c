"""The one scheduler, driven without a server: order, fail-fast, cancellation, threads.

``run`` stands in for the transport (it receives the batch instead of the engine's steps):
the scheduler's decisions do not depend on what a batch does, only on how it ends.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from oci_tei._batching import Batch, BatchLimits
from oci_tei._errors import CallAbandoned, InvalidInputError, ServerError
from oci_tei._scheduler import encoded_source, run_async, run_sync


class Indices:
    """An operation whose result for a batch is its inputs' indices."""

    overhead = 0

    def encode(self, batch: Batch) -> bytes:  # pragma: no cover - never sent
        return b""

    def decode(self, content: bytes, batch: Batch) -> list[int]:  # pragma: no cover
        return []

    def join(self, parts: Sequence[list[int]]) -> list[int]:
        return [index for part in parts for index in part]


def indices(batch: Batch) -> list[int]:
    return list(range(batch.start, batch.start + len(batch)))


def chunks(run, total=40, batch=10, collect=True, chunk_size=None, window=4):
    pool = ThreadPoolExecutor(4)
    source = encoded_source([b'"x"'] * total, BatchLimits(batch, 10_000), 0, chunk_size or total)
    return pool, run_sync(
        source,
        Indices(),
        lambda b: b,  # the "steps" handed to run: the batch itself
        run,
        lambda: pool,
        window=window,
        chunk_size=chunk_size or total,
        on_refusal="raise",
        progress=lambda _: None,
        collect=collect,
    )


def test_results_come_in_input_order_whatever_order_batches_finish_in():
    def run(batch, abandon):
        time.sleep(0.02 * (4 - batch.start // 10))  # the first batch finishes last
        return indices(batch)

    pool, stream = chunks(run)
    assert [chunk.results for chunk in stream] == [list(range(40))]
    pool.shutdown()


def test_a_collected_call_fails_fast_and_raises_the_lowest_index():
    abandoned = []

    def run(batch, abandon):
        if batch.start == 0:  # slow, retrying: only the call's end stops it
            abandoned.append(abandon.wait(10))
            raise CallAbandoned("abandoned")
        if batch.start == 10:
            raise ServerError("503 after retries", status=503)
        if batch.start == 20:
            raise InvalidInputError("input 23 refused", input_index=23)
        return indices(batch)

    pool, stream = chunks(run)
    started = time.monotonic()
    with pytest.raises(InvalidInputError) as info:
        list(stream)
    assert info.value.input_index == 23  # an error naming an input beats one that does not
    assert time.monotonic() - started < 5  # the slow batch did not hold the call up
    assert abandoned == [True]  # and it had stopped before the error was raised
    pool.shutdown()


def test_stopping_a_stream_abandons_every_batch_started_or_queued():
    told = []

    def run(batch, abandon):
        if batch.start == 0:
            return indices(batch)
        told.append(abandon.wait(5))  # a batch in flight: told to stop, or times out
        raise CallAbandoned("abandoned")

    pool, stream = chunks(run, total=80, collect=False, chunk_size=10, window=6)
    assert next(stream).results == list(range(10))
    started = time.monotonic()
    stream.close()  # what Ctrl-C in the consumer does to the generator
    pool.shutdown(wait=True)  # queued batches were cancelled, running ones told
    assert time.monotonic() - started < 4
    assert all(told)


def test_the_last_batch_runs_in_the_callers_thread():
    threads = []

    def run(batch, abandon):
        threads.append(threading.current_thread())
        return indices(batch)

    pool, stream = chunks(run, total=7)
    assert [chunk.results for chunk in stream] == [list(range(7))]
    assert threads == [threading.current_thread()]
    pool.shutdown()


def test_the_async_driver_fails_fast_too():
    async def run(steps):
        batch = steps
        if batch.start == 0:
            await asyncio.sleep(10)
        if batch.start == 30:
            raise InvalidInputError("input 31 refused", input_index=31)
        return indices(batch)

    async def collect():
        source = encoded_source([b'"x"'] * 40, BatchLimits(10, 10_000), 0, 40)
        stream = run_async(
            source,
            Indices(),
            lambda b: b,
            run,
            window=4,
            chunk_size=40,
            on_refusal="raise",
            progress=lambda _: None,
            collect=True,
        )
        return [chunk async for chunk in stream]

    started = time.monotonic()
    with pytest.raises(InvalidInputError) as info:
        asyncio.run(collect())
    assert info.value.input_index == 31
    assert time.monotonic() - started < 5
