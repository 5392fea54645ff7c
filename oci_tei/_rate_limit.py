"""A client-wide request-rate limit, shared by worker threads and event loops (internal).

OCI limits Model Deployment predict calls to 150 requests per second per tenancy and
answers 429 above it (docs.oracle.com/en-us/iaas/data-science/using/model-dep-invoke.htm).
A client that shares that tenancy cap with other work sets ``max_requests_per_second`` so
its own share never triggers the 429s in the first place.

The limiter is a virtual schedule (GCRA): each request reserves the next free start
time under a plain ``threading.Lock`` (held for a few arithmetic operations, never while
waiting), then waits for it, with ``time.sleep``-like waits on threads and
``asyncio.sleep`` on a loop. One instance therefore paces every thread and every event
loop of a client together.
"""

from __future__ import annotations

import asyncio
import threading
import time

__all__ = ["RequestRateLimiter"]


class RequestRateLimiter:
    """Lets at most ``rate`` requests start per second, with a burst of ``burst``.

    Args:
        rate: Requests per second (> 0).
        burst: Requests that may start back to back after an idle spell; 1 spaces every
            request ``1/rate`` apart, the smoothest load for a cap shared with others.
    """

    def __init__(self, rate: float, burst: int = 1) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst}")
        self.rate = rate
        self._interval = 1.0 / rate
        self._slack = (burst - 1) * self._interval
        self._lock = threading.Lock()
        self._next = 0.0  # the virtual time the next request is due at

    def __repr__(self) -> str:
        return f"RequestRateLimiter(rate={self.rate:g})"

    def reserve(self) -> float:
        """Reserve the next start; returns how many seconds to wait before sending."""
        now = time.monotonic()
        with self._lock:
            due = max(self._next, now)
            self._next = due + self._interval
        return max(0.0, due - now - self._slack)

    def wait(self, abandon: threading.Event | None = None) -> None:
        """Block this thread until its request may start (or ``abandon`` is set)."""
        delay = self.reserve()
        if delay > 0:
            if abandon is None:
                time.sleep(delay)
            else:
                abandon.wait(delay)

    async def await_turn(self) -> None:
        """Wait on the running loop until this task's request may start."""
        delay = self.reserve()
        if delay > 0:
            await asyncio.sleep(delay)
