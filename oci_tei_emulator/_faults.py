"""Deterministic fault injection for the predict gateway."""

from __future__ import annotations

__all__ = ["FaultInjector"]

import random
import threading

from oci_tei_emulator._config import FaultConfig


class FaultInjector:
    """Draws one fault (or none) per predict request from ``random.Random(seed)``.

    Args:
        config: the fault probabilities.
        seed: seed of the draws; the same seed and request order give the same faults.
    """

    def __init__(self, config: FaultConfig, seed: int) -> None:
        self.config = config
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.counts: dict[str, int] = dict.fromkeys((*config.probabilities(), "none"), 0)

    def draw(self) -> str | None:
        """The fault for the next request: ``"429"``, ..., ``"reset"``, ``"stall"`` or None."""
        with self._lock:
            point = self._rng.random()
            edge = 0.0
            chosen: str | None = None
            for kind, probability in self.config.probabilities().items():
                edge += probability
                if point < edge:
                    chosen = kind
                    break
            self.counts[chosen or "none"] += 1
            return chosen
