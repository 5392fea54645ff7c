"""Model backends for tests that must see exactly what the server computed.

Both wrap the session's real model (vectors are the model's) and are served by the real
local server over HTTP; they only add memory and a ledger, which no real part offers:

* :class:`Remembering` answers each input with the vector it first computed for it. On CPU
  float32 output depends slightly on how inputs are batched (and the server batches
  concurrent requests dynamically), so this is what lets runs be compared exactly.
* It also counts, per input (by token ids), how many times the model was asked for it: the
  server-side witness that a resumed run sent no finished input again.
* :meth:`Remembering.hold_after` makes the model wait once it has embedded N inputs, until
  :meth:`release`; requests held then are dropped uncounted, as if the client that sent them
  had died with them (which is what the SIGKILL test does to it).
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Remembering:
    """The real model, remembering its first answer per input and counting every request."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._seen: dict[tuple[int, ...], Any] = {}
        self._lock = threading.Lock()
        self.asked: Counter[tuple[int, ...]] = Counter()
        self._hold_after: int | None = None
        self._gate = threading.Event()
        self._generation = 0
        self.held = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def hold_after(self, count: int) -> None:
        """Once ``count`` inputs were embedded (since the last reset), hold further batches."""
        with self._lock:
            self.asked.clear()
            self._hold_after = count
            self._gate.clear()
            self.held.clear()

    def release(self) -> None:
        """Drop the held batches uncounted and stop holding."""
        with self._lock:
            self._generation += 1
            self._hold_after = None
        self._gate.set()

    def reset(self) -> None:
        """Forget the counts (the vectors stay remembered)."""
        with self._lock:
            self.asked.clear()

    def embed(self, batch: Any, *, pooling: str, raw: Any = None) -> list[Any]:
        with self._lock:
            generation = self._generation
            holding = self._hold_after is not None and sum(self.asked.values()) >= self._hold_after
        if holding:
            self.held.set()
            self._gate.wait()
            if generation != self._generation:
                raise RuntimeError("held request dropped: its client is gone")
        vectors = self._inner.embed(batch, pooling=pooling, raw=raw)
        with self._lock:
            out = []
            for item, vector in zip(batch, vectors, strict=True):
                key = tuple(item.ids)
                self.asked[key] += 1
                out.append(self._seen.setdefault(key, vector))
            return out
