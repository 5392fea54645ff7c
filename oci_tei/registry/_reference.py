"""Image references: ``host/repository[:tag][@digest]``, and where each host is served."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from oci_tei._errors import ConfigurationError

__all__ = ["ENDPOINTS_ENV", "ImageReference", "endpoint_for", "parse_reference"]

#: ``host=url,host=url``: registry hosts served elsewhere (an emulator, a mirror, tests).
ENDPOINTS_ENV = "OCI_TEI_REGISTRY_ENDPOINTS"

_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+|__)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")


@dataclass(frozen=True)
class ImageReference:
    """One image in one registry.

    Attributes:
        host: Registry host, with port if any (``ghcr.io``, ``iad.ocir.io``).
        repository: Repository path (``huggingface/text-embeddings-inference``).
        tag: The tag, or None when only a digest is given.
        digest: ``sha256:<hex>``, or None.
    """

    host: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def reference(self) -> str:
        """What the manifest endpoint is asked for: the digest if pinned, else the tag."""
        return self.digest or self.tag or "latest"

    def with_digest(self, digest: str) -> ImageReference:
        """The same image pinned to ``digest`` (the tag kept for display)."""
        return ImageReference(self.host, self.repository, self.tag, digest)

    def __str__(self) -> str:
        text = f"{self.host}/{self.repository}"
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def parse_reference(text: str) -> ImageReference:
    """Parse ``host/repository[:tag][@sha256:...]``; a missing tag and digest means ``latest``.

    Raises:
        ConfigurationError: Not an image reference with a registry host.
    """
    rest, _, digest = text.partition("@")
    if digest and not _DIGEST.match(digest):
        raise ConfigurationError(f"{text!r}: the digest must be sha256:<64 hex digits>")
    host, _, path = rest.partition("/")
    if not path or not ("." in host or ":" in host or host == "localhost"):
        raise ConfigurationError(
            f"{text!r} names no registry host: expected host/repository[:tag][@digest]"
        )
    repository, tag = path, None
    last = path.rsplit("/", 1)[-1]
    if ":" in last:
        repository, _, tag = path.rpartition(":")
        if not _TAG.match(tag):
            raise ConfigurationError(f"{text!r}: {tag!r} is not a valid tag")
    if not _NAME.match(repository):
        raise ConfigurationError(f"{text!r}: {repository!r} is not a valid repository name")
    if tag is None and not digest:
        tag = "latest"
    return ImageReference(host, repository, tag, digest or None)


def endpoint_for(host: str, endpoints: Mapping[str, str] | None = None) -> str:
    """The base URL that serves registry ``host``: ``https://host`` unless overridden.

    Overrides come from ``endpoints`` first, then ``OCI_TEI_REGISTRY_ENDPOINTS``.
    """
    if endpoints and host in endpoints:
        return endpoints[host].rstrip("/")
    for item in os.environ.get(ENDPOINTS_ENV, "").split(","):
        name, _, url = item.strip().partition("=")
        if name == host and url:
            return url.rstrip("/")
    return f"https://{host}"
