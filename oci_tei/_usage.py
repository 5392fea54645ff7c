"""What a client has sent and received: requests, retries and bytes, counted once.

The counts come from the engine's steps themselves (``metered`` wraps a batch's
generator), so they mean the same for the sync and the async transport and need nothing
from either: a ``Send`` step is a request, a ``Wait`` step a retry's backoff, and the
bodies' lengths are the bytes that crossed the wire (headers not counted).
"""

from __future__ import annotations

import threading
from collections.abc import Generator
from dataclasses import dataclass
from typing import TypeVar

from oci_tei._engine import Outcome, Response, Send, Step, Wait

__all__ = ["Usage", "UsageMeter", "metered"]

T = TypeVar("T")


@dataclass(frozen=True)
class Usage:
    """Totals of one client since it was created.

    Attributes:
        requests: HTTP requests sent (every attempt counts).
        retries: Attempts repeated after a 429, a 5xx, a timeout or a connection error.
        bytes_sent: Request body bytes.
        bytes_received: Response body bytes.
    """

    requests: int = 0
    retries: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0

    @property
    def bytes_total(self) -> int:
        """Bytes moved both ways."""
        return self.bytes_sent + self.bytes_received

    def __sub__(self, other: Usage) -> Usage:
        return Usage(
            self.requests - other.requests,
            self.retries - other.retries,
            self.bytes_sent - other.bytes_sent,
            self.bytes_received - other.bytes_received,
        )


class UsageMeter:
    """Thread-safe counters behind ``Usage``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = [0, 0, 0, 0]

    def add(self, requests: int = 0, retries: int = 0, sent: int = 0, received: int = 0) -> None:
        """Add to the counters."""
        with self._lock:
            counts = self._counts
            counts[0] += requests
            counts[1] += retries
            counts[2] += sent
            counts[3] += received

    def snapshot(self) -> Usage:
        """The totals now."""
        with self._lock:
            return Usage(*self._counts)


def metered(steps: Generator[Step, Outcome, T], meter: UsageMeter) -> Generator[Step, Outcome, T]:
    """``steps`` unchanged, counted into ``meter`` as the transport runs them."""
    outcome: Outcome = None
    try:
        while True:
            try:
                step = steps.send(outcome)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            if isinstance(step, Send):
                meter.add(requests=1, sent=len(step.content))
            elif isinstance(step, Wait):
                meter.add(retries=1)
            outcome = yield step
            if isinstance(outcome, Response):
                meter.add(received=len(outcome.content))
    finally:
        steps.close()
