"""TEI's concurrency limit: ``--max-concurrent-requests`` permits, one per input."""

from __future__ import annotations

__all__ = ["Grant", "Permits"]

import asyncio
from types import TracebackType


class Grant:
    """Permits held by one caller; released once, on ``release()`` or leaving ``with``.

    Args:
        permits: The pool they came from.
        count: How many.
    """

    def __init__(self, permits: Permits, count: int) -> None:
        self._permits = permits
        self._count = count

    def release(self) -> None:
        """Give the permits back (idempotent)."""
        count, self._count = self._count, 0
        if count:
            self._permits._give_back(count)

    def __enter__(self) -> Grant:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


class Permits:
    """A counting semaphore with all-or-nothing ``try_acquire``; event-loop only.

    Args:
        total: ``--max-concurrent-requests``.
    """

    def __init__(self, total: int) -> None:
        self.total = total
        self._available = total
        self._waiters: list[asyncio.Future[None]] = []

    @property
    def available(self) -> int:
        """Permits not held."""
        return self._available

    def try_acquire(self, count: int = 1) -> Grant | None:
        """Take ``count`` permits now, or none of them.

        Args:
            count: Permits wanted (one per input, as TEI counts).

        Returns:
            The grant, or ``None`` when fewer are free (TEI answers 429).
        """
        if count > self._available:
            return None
        self._available -= count
        return Grant(self, count)

    async def acquire(self) -> Grant:
        """Wait for one permit (TEI 1.5 waits like this for each input of a batch)."""
        while self._available < 1:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        self._available -= 1
        return Grant(self, 1)

    def _give_back(self, count: int) -> None:
        self._available += count
        # Wake every waiter: each re-checks, so a cancelled one cannot strand a permit.
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
