"""Internal: one bound on requests in flight, shared by threads and event loops.

``max_concurrency`` promises a number of requests in flight per client, whichever way the
client is called: from worker threads (``embed``), from tasks on any number of event loops
(``aembed`` under several ``asyncio.run``), or all at once. ``threading.Semaphore`` would
block an event loop and ``asyncio.Semaphore`` belongs to one loop, so this is a small
semaphore of its own: a counter under a lock, and a FIFO of waiters, each woken the way its
caller waits (an ``Event`` for a thread, a future resolved through
``call_soon_threadsafe`` for a task). A released slot passes straight to the next waiter,
so no caller can overtake the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

__all__ = ["InFlightLimit"]


class _ThreadWaiter:
    def __init__(self) -> None:
        self.granted = False
        self.event = threading.Event()

    def grant(self) -> bool:
        self.granted = True
        self.event.set()
        return True


class _TaskWaiter:
    def __init__(self, limit: InFlightLimit, loop: asyncio.AbstractEventLoop) -> None:
        self.granted = False
        self.limit = limit
        self.loop = loop
        self.future: asyncio.Future[None] = loop.create_future()

    def grant(self) -> bool:
        try:
            self.loop.call_soon_threadsafe(self._wake)
        except RuntimeError:  # its loop is closed: the slot goes to the next waiter
            return False
        self.granted = True
        return True

    def _wake(self) -> None:
        # Runs on the waiter's loop. A task cancelled after its slot was granted cannot
        # take it any more: hand it on.
        if self.future.cancelled():
            self.limit.release()
        else:
            self.future.set_result(None)


class InFlightLimit:
    """At most ``limit`` holders at once, across threads and event loops; FIFO.

    Args:
        limit: The number of slots (at least 1).
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        self.limit = limit
        self._held = 0
        self._lock = threading.Lock()
        self._waiters: deque[_ThreadWaiter | _TaskWaiter] = deque()

    @property
    def in_flight(self) -> int:
        """Slots held now."""
        return self._held

    def _try_take(self) -> bool:
        # Caller holds the lock. Waiters first: a newcomer never overtakes the queue.
        if self._held < self.limit and not self._waiters:
            self._held += 1
            return True
        return False

    def acquire(self) -> None:
        """Take a slot, blocking this thread until one is free."""
        with self._lock:
            if self._try_take():
                return
            waiter = _ThreadWaiter()
            self._waiters.append(waiter)
        try:
            waiter.event.wait()
        except BaseException:  # KeyboardInterrupt while waiting
            self._abandon(waiter)
            raise

    async def aacquire(self) -> None:
        """Take a slot, suspending the running task (never blocking its loop)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._try_take():
                return
            waiter = _TaskWaiter(self, loop)
            self._waiters.append(waiter)
        try:
            await waiter.future
        except BaseException:
            # Runs on the loop that ``_wake`` runs on, so the two never race. A future
            # not yet resolved is cancelled: the waiter leaves the queue, or, when a
            # grant is already on its way, ``_wake`` hands that slot on. A resolved one
            # means the slot is ours: give it back.
            if not waiter.future.done():
                with contextlib.suppress(RuntimeError):  # its loop closed under it
                    waiter.future.cancel()
            if waiter.future.cancelled():
                self._abandon(waiter)
            else:
                self.release()
            raise

    def _abandon(self, waiter: _ThreadWaiter | _TaskWaiter) -> None:
        """Leave the queue; a thread already granted its slot gives it back."""
        with self._lock:
            if not waiter.granted:
                if waiter in self._waiters:  # a grant to a closed loop already dropped it
                    self._waiters.remove(waiter)
                return
        if isinstance(waiter, _ThreadWaiter):
            self.release()

    def release(self) -> None:
        """Give a slot back: to the first waiter still able to take it, else to the pool."""
        with self._lock:
            while self._waiters:
                if self._waiters.popleft().grant():
                    return
            if self._held <= 0:  # pragma: no cover - a caller bug
                raise RuntimeError("release() without a matching acquire()")
            self._held -= 1

    @contextmanager
    def slot(self) -> Iterator[None]:
        """``with limit.slot():`` holds one slot for the block (threads)."""
        self.acquire()
        try:
            yield
        finally:
            self.release()

    @asynccontextmanager
    async def aslot(self) -> AsyncIterator[None]:
        """``async with limit.aslot():`` holds one slot for the block (tasks)."""
        await self.aacquire()
        try:
            yield
        finally:
            self.release()
