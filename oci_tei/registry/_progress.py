"""A byte progress bar that works in a terminal and in a notebook (``tqdm.auto``)."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

__all__ = ["ByteProgress"]


class ByteProgress:
    """Counts bytes from several threads; draws a bar when ``enabled``.

    Args:
        total: Bytes expected.
        description: The bar's label.
        enabled: False counts without drawing (tests, ``--quiet``).
    """

    def __init__(self, total: int, description: str, *, enabled: bool = True) -> None:
        self.total = total
        self.done = 0
        self._lock = threading.Lock()
        self._bar: Any = None
        if enabled and total > 0:
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=total, desc=description, unit="B", unit_scale=True, unit_divisor=1024,
                leave=True, mininterval=0.5,
            )  # fmt: skip

    def update(self, count: int) -> None:
        """Add ``count`` bytes (may be negative when a failed blob's bytes are taken back)."""
        with self._lock:
            self.done += count
            if self._bar is not None:
                self._bar.update(count)

    def close(self) -> None:
        """Finish the bar."""
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> ByteProgress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
