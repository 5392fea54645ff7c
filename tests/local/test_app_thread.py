"""The one "aiohttp app on a private loop in a daemon thread" lifecycle both servers use."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator

import pytest

from oci_tei_local._app_thread import AppThread


def threads_named(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name]


def test_start_returns_what_serve_returns_and_stop_finalizes() -> None:
    finalized = threading.Event()

    async def keeper() -> AsyncIterator[None]:
        try:
            yield
        finally:
            finalized.set()

    kept: list[AsyncIterator[None]] = []

    async def serve() -> str:
        generator = keeper()
        await generator.__anext__()  # registered with the private loop
        kept.append(generator)
        return "bound"

    app_thread = AppThread("app-thread-test")
    assert app_thread.start(serve, 10) == "bound"
    assert app_thread.running
    assert len(threads_named("app-thread-test")) == 1
    cleaned = []
    loop = app_thread.loop

    async def cleanup() -> None:
        cleaned.append(asyncio.get_running_loop() is loop)

    app_thread.stop(cleanup, 10)
    assert cleaned == [True]  # ran on the private loop
    assert finalized.is_set()  # async generators finalized before the loop closed
    assert loop.is_closed()
    assert not threads_named("app-thread-test")
    app_thread.stop(cleanup, 10)  # idempotent
    assert cleaned == [True]


def test_a_failing_start_raises_what_happened_and_leaves_no_thread() -> None:
    async def serve() -> None:
        raise ValueError("no such certificate")

    app_thread = AppThread("app-thread-failing")
    with pytest.raises(ValueError, match="no such certificate"):
        app_thread.start(serve, 10)
    assert not app_thread.running
    assert not threads_named("app-thread-failing")


def test_a_start_that_never_gets_ready_times_out() -> None:
    cancelled = threading.Event()

    async def serve() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    app_thread = AppThread("app-thread-hanging")
    started = time.monotonic()
    with pytest.raises(TimeoutError, match=r"did not start within 0\.3 s"):
        app_thread.start(serve, 0.3)
    assert time.monotonic() - started < 5
    assert cancelled.wait(5)
    assert not app_thread.running
    assert not threads_named("app-thread-hanging")
