"""Etags and retry tokens, as OCI's control plane uses them.

* An etag names one version of a resource: it changes when the resource changes, not per
  response. ``if-match`` on an update or delete that names another version answers
  412 ``NoEtagMatch`` (OCI's code for it).
* ``opc-retry-token`` makes a create idempotent: the same token on the same operation
  returns the resource the first call made instead of making a second one (OCI keeps
  tokens for 24 hours; the emulator for its lifetime).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field

from aiohttp import web

from oci_tei_emulator._errors import OCIError

__all__ = ["Etags", "RetryTokens"]


@dataclass
class Etags:
    """The current etag of each resource, by OCID."""

    _tags: dict[str, str] = field(default_factory=dict)

    def current(self, ocid: str) -> str:
        """The resource's etag (one is made on first use)."""
        return self._tags.setdefault(ocid, uuid.uuid4().hex)

    def changed(self, ocid: str) -> str:
        """Record a change of the resource; returns its new etag."""
        self._tags[ocid] = uuid.uuid4().hex
        return self._tags[ocid]

    def check_if_match(self, request: web.Request, ocid: str) -> None:
        """Refuse a write whose ``if-match`` names another version.

        Raises:
            OCIError: 412 NoEtagMatch.
        """
        wanted = request.headers.get("if-match")
        if wanted is not None and wanted != "*" and wanted != self.current(ocid):
            raise OCIError(
                412,
                "NoEtagMatch",
                f"The if-match etag {wanted} does not match the resource's current etag.",
            )


@dataclass
class RetryTokens:
    """Resources made by creates that carried an ``opc-retry-token``."""

    _made: dict[tuple[str, str], str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def made_by(self, request: web.Request) -> str | None:
        """The OCID an earlier call with this request's token made, if any."""
        token = request.headers.get("opc-retry-token")
        if not token:
            return None
        with self.lock:
            return self._made.get((request.path, token))

    def remember(self, request: web.Request, ocid: str) -> None:
        """Record that this request's token made ``ocid``."""
        token = request.headers.get("opc-retry-token")
        if token:
            with self.lock:
                self._made[(request.path, token)] = ocid
