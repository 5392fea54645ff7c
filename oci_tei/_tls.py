"""One TLS context for every HTTP client the package makes.

httpx builds a new ``ssl.SSLContext`` for each client it creates with ``verify=True``,
reading the whole CA bundle each time (about 15 ms of CPU). A context is safe to share
between clients and threads, so a program that makes many clients (a notebook that builds
an embeddings object per cell, a deploy that copies an image and then calls the endpoint)
pays for it once. It is what httpx builds for ``verify=True``, ``SSL_CERT_FILE`` and
``SSL_CERT_DIR`` included, as they were when the first client was made.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ssl

__all__ = ["shared_ssl_context"]


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """The process's TLS context: httpx's ``verify=True`` settings, built on first use."""
    import httpx

    return httpx.create_ssl_context()
