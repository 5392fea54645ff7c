"""CI: a venv with only ``pip install .`` (no extras) makes a signed embed call.

Run by ``make core-check`` (part of ``make test``) with the main venv's Python, which has
the ``local`` extra: it serves the bundled model with the local TEI server, puts the OCI
emulator's signed predict gateway in front of it, writes an API-key config the emulator
trusts, and runs ``.ci/core_embed.py`` with the core-only interpreter given as argument.

    .venv/bin/python .ci/core_check.py .venv-core/bin/python
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from oci_tei_emulator import Emulator, EmulatorConfig
from oci_tei_local import LocalServer, ServerSettings

HERE = Path(__file__).resolve().parent


def main(core_python: str) -> int:
    with (
        tempfile.TemporaryDirectory(prefix="oci-tei-core-check-") as work,
        LocalServer(ServerSettings(port=0)) as server,
        Emulator(EmulatorConfig(port=0, bandwidth_mbps=None, trust_default_profile=False)) as emu,
    ):
        config = emu.write_api_key_config(work)
        url = emu.predict_url(emu.register_deployment(server.url))
        # abspath, not resolve(): the venv's python is a symlink to the base interpreter.
        command = [os.path.abspath(core_python), str(HERE / "core_embed.py"), url, str(config)]
        # The core venv must not see this checkout or the main venv's packages.
        done = subprocess.run(command, cwd=work, env={"PATH": "/usr/bin:/bin"}, timeout=300)
        return done.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
