"""Emulated network between a client and a Model Deployment: latency, bandwidth, request rate.

Everything here runs on the emulator's event loop and waits with ``asyncio.sleep``; nothing
blocks the loop.
"""

from __future__ import annotations

__all__ = ["BandwidthShaper", "RateLimiter", "half_rtt"]

import asyncio
import time
from collections.abc import AsyncIterator


class BandwidthShaper:
    """One shared link of ``mbps`` megabits per second (request and response bytes alike).

    Bytes are scheduled on a virtual clock: a transfer of ``n`` bytes occupies the link for
    ``8n / (mbps * 1e6)`` seconds after whatever is queued before it. The queue length in
    seconds (:attr:`backlog_s`) is what the gateway compares with its 429 threshold.

    Args:
        mbps: link rate; ``None`` or 0 disables shaping.
        chunk_bytes: granularity of the shaped writes.
        bytes_counter: another shaper whose ``bytes_total`` also counts these bytes (the
            emulator's tenancy-wide count).
    """

    def __init__(
        self,
        mbps: float | None,
        chunk_bytes: int = 16 * 1024,
        bytes_counter: BandwidthShaper | None = None,
    ) -> None:
        self.mbps = mbps or 0.0
        self.bytes_per_s = self.mbps * 1e6 / 8
        self.chunk_bytes = chunk_bytes
        self._free_at = 0.0
        self.bytes_total = 0
        self._counter = bytes_counter

    @property
    def enabled(self) -> bool:
        """Whether a cap applies."""
        return self.bytes_per_s > 0

    @property
    def backlog_s(self) -> float:
        """Seconds of bytes queued ahead of a new transfer."""
        return max(0.0, self._free_at - time.monotonic())

    async def transfer(self, nbytes: int) -> None:
        """Wait until ``nbytes`` have crossed the link."""
        self.bytes_total += max(0, nbytes)  # what benchmarks divide by to get bytes per vector
        if self._counter is not None:
            self._counter.bytes_total += max(0, nbytes)
        if not self.enabled or nbytes <= 0:
            return
        now = time.monotonic()
        self._free_at = max(self._free_at, now) + nbytes / self.bytes_per_s
        delay = self._free_at - now
        if delay > 0:
            await asyncio.sleep(delay)

    async def chunks(self, data: bytes) -> AsyncIterator[bytes]:
        """Yield ``data`` in chunks, each once it has crossed the link."""
        step = self.chunk_bytes if self.enabled else max(len(data), 1)
        for start in range(0, len(data), step):
            piece = data[start : start + step]
            await self.transfer(len(piece))
            yield piece


class RateLimiter:
    """Token bucket: ``rate`` requests per second with a burst of ``rate``.

    Args:
        rate: requests per second; 0 disables the limit.
    """

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._tokens = rate
        self._at = time.monotonic()

    def allow(self) -> bool:
        """Take one token; False when the bucket is empty."""
        if self.rate <= 0:
            return True
        now = time.monotonic()
        self._tokens = min(self.rate, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False


async def half_rtt(rtt_ms: float) -> None:
    """Wait half a round trip (one direction)."""
    if rtt_ms > 0:
        await asyncio.sleep(rtt_ms / 2000)
