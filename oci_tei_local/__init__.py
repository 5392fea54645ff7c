"""A local, offline server that speaks Text Embeddings Inference's HTTP API.

It serves a real sentence-transformers model on CPU with TEI's routes, JSON shapes,
status codes (per TEI version, ``--compat``), limits, dynamic batching and metrics, so
clients and the OCI emulator can be exercised without TEI's container::

    from oci_tei_local import LocalServer, ServerSettings

    with LocalServer(ServerSettings(port=0)) as server:
        print(server.url)

Importing this package is cheap: torch and sentence-transformers load with the model.

The public API is what this package exports (its ``__all__`` below); the TEI routes are
the server's promise. Every module inside is internal: its ``__all__`` names what it
shares with the rest of oci-tei (the emulator, ``oci-tei serve``, the tests), and any of
it may change without notice. Import from ``oci_tei_local``, not from its modules.
"""

from __future__ import annotations

from oci_tei_local._backend import Backend, load_backend
from oci_tei_local._errors import ModelLoadError, StartupError
from oci_tei_local._server import LocalServer
from oci_tei_local._settings import ServerSettings

__all__ = [
    "Backend",
    "LocalServer",
    "ModelLoadError",
    "ServerSettings",
    "StartupError",
    "load_backend",
]
