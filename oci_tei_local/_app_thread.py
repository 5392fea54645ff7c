"""Internal: an aiohttp application on a private event loop in a daemon thread.

The local TEI server and the OCI emulator both serve from a background thread so that a
test, a notebook or the demo keeps its own thread (and its own event loop, if any). The
lifecycle is the same for both and lives here once: start a loop in a daemon thread, run
the caller's ``serve`` coroutine on it (build, bind), wait for it with a timeout, and on
stop run the caller's cleanup there, stop the loop, finalize async generators and close
it. A failed or timed-out start leaves no thread or loop behind and raises what happened.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["AppThread"]

T = TypeVar("T")


class AppThread:
    """One private event loop in a daemon thread; may be started again after a stop.

    Args:
        name: The thread's name (shown in tracebacks and thread dumps).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the loop is serving."""
        return self._thread is not None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The private loop (only while running)."""
        if self._loop is None:
            raise RuntimeError(f"{self.name} is not running")
        return self._loop

    def start(self, serve: Callable[[], Coroutine[Any, Any, T]], timeout: float) -> T:
        """Start the thread and run ``serve()`` on its loop; return its result once done.

        ``serve`` builds and binds the application and returns (what it returns, the
        bound address say, comes back here); it cleans up what it made if it fails.

        Raises:
            RuntimeError: Already started.
            TimeoutError: ``serve`` did not finish within ``timeout`` seconds (it is
                cancelled, and the thread ends).
            BaseException: Whatever ``serve`` raised, unchanged.
        """
        if self._thread is not None:
            raise RuntimeError(f"{self.name} is already running")
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=_run, args=(loop,), name=self.name, daemon=True)
        thread.start()
        future = asyncio.run_coroutine_threadsafe(serve(), loop)
        try:
            result = future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            _halt(loop, thread, timeout)
            raise TimeoutError(f"{self.name} did not start within {timeout:g} s") from None
        except BaseException:
            _halt(loop, thread, timeout)
            raise
        self._loop, self._thread = loop, thread
        return result

    def stop(self, cleanup: Callable[[], Awaitable[None]] | None, timeout: float) -> None:
        """Run ``cleanup()`` on the loop, then end the loop and the thread; idempotent.

        The loop and thread end even when ``cleanup`` fails or times out; its error is
        raised afterwards.
        """
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self._loop = self._thread = None
        try:
            if cleanup is not None:
                asyncio.run_coroutine_threadsafe(_awaited(cleanup), loop).result(timeout)
        finally:
            _halt(loop, thread, timeout)


async def _awaited(cleanup: Callable[[], Awaitable[None]]) -> None:
    await cleanup()


def _run(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
    finally:
        # What asyncio.run does on the way out: async generators (an httpx pool's keeper,
        # say) are finalized on this loop before it closes.
        with contextlib.suppress(Exception):
            loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def _halt(loop: asyncio.AbstractEventLoop, thread: threading.Thread, timeout: float) -> None:
    with contextlib.suppress(RuntimeError):  # the loop already closed
        loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout)
