"""The emulator's start and stop: failures are raised, readiness is bounded, nothing leaks."""

from __future__ import annotations

import asyncio
import threading

import pytest

from oci_tei_emulator import Emulator, EmulatorConfig
from oci_tei_emulator import _emulator as emulator_module


def emulator_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "oci-tei-emulator"]


def test_a_port_in_use_is_raised_and_leaves_no_thread(emulator) -> None:
    running = emulator()
    port = int(running.url.rsplit(":", 1)[1])
    before = len(emulator_threads())
    second = Emulator(EmulatorConfig(port=port, container_runner="inprocess"))
    with pytest.raises(OSError, match=r"address already in use|Errno 98"):
        second.start()
    assert len(emulator_threads()) == before
    second.stop()  # nothing to stop: no error


def test_readiness_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    async def never_ready(self: Emulator) -> str:
        await asyncio.sleep(3600)
        return "unreachable"

    monkeypatch.setattr(Emulator, "_serve", never_ready)
    monkeypatch.setattr(emulator_module, "_START_TIMEOUT_S", 0.3)
    before = len(emulator_threads())
    with pytest.raises(TimeoutError, match="did not start"):
        Emulator(EmulatorConfig(container_runner="inprocess")).start()
    assert len(emulator_threads()) == before
