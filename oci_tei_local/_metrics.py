"""TEI's Prometheus metrics (names, labels and buckets), rendered as Prometheus text."""

from __future__ import annotations

__all__ = ["Metrics"]

import bisect
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

Labels = tuple[tuple[str, str], ...]


def _duration_buckets() -> list[float]:
    # TEI: 35 buckets, geometric from 15 µs by a factor of 1.5, for every `*duration`.
    buckets, value = [], 0.00001
    for _ in range(35):
        value *= 1.5
        buckets.append(value)
    return buckets


@dataclass
class _Histogram:
    bounds: list[float]
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        self.counts = [0] * len(self.bounds)

    def observe(self, value: float) -> None:
        index = bisect.bisect_left(self.bounds, value)
        if index < len(self.counts):
            self.counts[index] += 1
        self.total += value
        self.count += 1


class Metrics:
    """Counters, gauges and histograms as TEI's ``metrics`` exporter renders them.

    Args:
        max_input_length: Upper end of the ``te_request_input_length`` buckets.
    """

    def __init__(self, max_input_length: int) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, dict[Labels, int]] = defaultdict(dict)
        self._gauges: dict[str, float] = {}
        self._histograms: dict[str, _Histogram] = {}
        self._buckets = {
            "te_request_input_length": [float(2**x) for x in range(20) if 2**x <= max_input_length],
            "te_batch_next_size": [float(2**x) for x in range(13)],
            "te_batch_next_tokens": [float(2**x) for x in range(21)],
        }
        self._duration_buckets = _duration_buckets()

    def increment(self, name: str, value: int = 1, **labels: str) -> None:
        """Add ``value`` to counter ``name`` with ``labels``."""
        key = tuple(sorted(labels.items()))
        with self._lock:
            series = self._counters[name]
            series[key] = series.get(key, 0) + value

    def gauge(self, name: str, value: float, *, delta: bool = False) -> None:
        """Set gauge ``name`` (or move it by ``value`` when ``delta``)."""
        with self._lock:
            self._gauges[name] = self._gauges.get(name, 0.0) + value if delta else value

    def observe(self, name: str, value: float) -> None:
        """Record ``value`` in histogram ``name``."""
        with self._lock:
            histogram = self._histograms.get(name)
            if histogram is None:
                bounds = self._buckets.get(name, self._duration_buckets)
                histogram = self._histograms[name] = _Histogram(bounds)
            histogram.observe(value)

    def counter_value(self, name: str, **labels: str) -> int:
        """Current value of a counter series (0 when never incremented)."""
        with self._lock:
            return self._counters.get(name, {}).get(tuple(sorted(labels.items())), 0)

    def render(self) -> str:
        """The Prometheus text exposition of every series."""
        blocks: list[str] = []
        with self._lock:
            for name in sorted(self._counters):
                lines = [f"# TYPE {name} counter"]
                for labels, value in sorted(self._counters[name].items()):
                    lines.append(f"{name}{_labels(labels)} {value}")
                blocks.append("\n".join(lines))
            for name in sorted(self._gauges):
                blocks.append(f"# TYPE {name} gauge\n{name} {_number(self._gauges[name])}")
            for name in sorted(self._histograms):
                blocks.append(_render_histogram(name, self._histograms[name]))
        return "\n\n".join(blocks) + "\n" if blocks else ""


def _render_histogram(name: str, histogram: _Histogram) -> str:
    lines = [f"# TYPE {name} histogram"]
    cumulative = 0
    for bound, count in zip(histogram.bounds, histogram.counts, strict=True):
        cumulative += count
        lines.append(f'{name}_bucket{{le="{_number(bound)}"}} {cumulative}')
    lines.append(f'{name}_bucket{{le="+Inf"}} {histogram.count}')
    lines.append(f"{name}_sum {_number(histogram.total)}")
    lines.append(f"{name}_count {histogram.count}")
    return "\n".join(lines)


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    escaped = (f'{key}="{value}"'.replace("\n", "\\n") for key, value in labels)
    return "{" + ",".join(escaped) + "}"


def _number(value: float) -> str:
    # Rust's float Display: shortest round-trip digits, never an exponent.
    if value == int(value) and abs(value) < 1e16:
        return str(int(value))
    return format(Decimal(repr(value)), "f")
