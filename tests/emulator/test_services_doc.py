"""docs/emulator-services.md lists every route the emulator registers."""

from __future__ import annotations

import re
from pathlib import Path

from oci_tei_emulator import Emulator, EmulatorConfig
from oci_tei_emulator._unknown import CATCH_ALL

DOC = Path(__file__).resolve().parents[2] / "docs" / "emulator-services.md"


def test_every_route_is_documented() -> None:
    emulator = Emulator(EmulatorConfig(trust_default_profile=False))
    app = emulator._build_app()  # the routes only; nothing is served
    listed = set(re.findall(r"`([A-Z*]+ /[^`]*)`", DOC.read_text()))
    missing = []
    for route in app.router.routes():
        canonical = route.resource.canonical if route.resource is not None else ""
        if canonical == CATCH_ALL.replace(":.*", ""):
            continue
        if route.method == "HEAD" and f"GET {canonical}" in listed:
            continue  # aiohttp's HEAD beside each GET
        request = f"{route.method} {canonical}"
        if request not in listed:
            missing.append(request)
    assert not missing, f"routes missing from {DOC.name}: {missing}"
