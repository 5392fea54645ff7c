"""Per-request timings and sizes: TEI's ``x-*`` response headers and request histograms."""

from __future__ import annotations

__all__ = ["ResponseMetadata"]

import time
from dataclasses import dataclass

from oci_tei_local._metrics import Metrics


@dataclass(frozen=True)
class ResponseMetadata:
    """What TEI reports about a successful request.

    Attributes:
        compute_chars: Characters of the inputs (token ids count one each).
        compute_tokens: Tokens computed.
        started: ``time.perf_counter()`` when the handler started.
        tokenization: Seconds tokenizing (mean over inputs).
        queue: Seconds queued (mean over inputs).
        inference: Seconds of model time (mean over inputs).
    """

    compute_chars: int
    compute_tokens: int
    started: float
    tokenization: float
    queue: float
    inference: float

    def headers(self) -> dict[str, str]:
        """TEI's response headers; times in whole milliseconds."""
        total = _millis(time.perf_counter() - self.started)
        return {
            # TEI's router writes this value whatever the hardware.
            "x-compute-type": "gpu+optimized",
            "x-compute-time": total,
            "x-compute-characters": str(self.compute_chars),
            "x-compute-tokens": str(self.compute_tokens),
            "x-total-time": total,
            "x-tokenization-time": _millis(self.tokenization),
            "x-queue-time": _millis(self.queue),
            "x-inference-time": _millis(self.inference),
        }

    def record(self, metrics: Metrics) -> None:
        """Add this request to TEI's ``te_request_*_duration`` histograms."""
        metrics.observe("te_request_duration", time.perf_counter() - self.started)
        metrics.observe("te_request_tokenization_duration", self.tokenization)
        metrics.observe("te_request_queue_duration", self.queue)
        metrics.observe("te_request_inference_duration", self.inference)


def _millis(seconds: float) -> str:
    return str(int(seconds * 1000))
