"""Typed errors of an image copy: each names the image, the registry and the step.

A step is one of ``resolve`` (read the source's tag), ``auth`` (get a token), ``blob``
(copy one layer or config), ``manifest`` (write the manifest under its tag),
``repository`` (make the OCIR repository) and ``region`` (the target's region). Errors
carry OCI's or the registry's message and, where OCI answered, its ``opc-request-id``;
never a token, a password or a request header.
"""

from __future__ import annotations

from oci_tei._errors import OCITEIError

__all__ = [
    "BlobDigestMismatchError",
    "CopyInterruptedError",
    "ImageNotFoundError",
    "RegionMismatchError",
    "RegistryAuthError",
    "RegistryError",
    "RegistryUnreachableError",
]


class RegistryError(OCITEIError):
    """A registry (or OCIR's token service) refused or failed a step of an image copy.

    Attributes:
        image: The image reference the step worked on.
        registry: The registry host (``ghcr.io``, ``iad.ocir.io``).
        step: ``resolve``, ``auth``, ``blob``, ``manifest``, ``repository`` or ``region``.
    """

    def __init__(
        self,
        message: str,
        *,
        image: str,
        registry: str,
        step: str,
        status: int | None = None,
        error_type: str | None = None,
        opc_request_id: str | None = None,
    ) -> None:
        self.image = image
        self.registry = registry
        self.step = step
        super().__init__(
            f"{step} {image} on {registry}: {message}",
            status=status,
            error_type=error_type,
            opc_request_id=opc_request_id,
        )


class RegistryUnreachableError(RegistryError, ConnectionError):
    """No route to the registry (DNS, refused connection, TLS, timeout)."""


class ImageNotFoundError(RegistryError):
    """The registry does not have this tag or digest (e.g. a tag TEI does not publish)."""


class RegistryAuthError(RegistryError):
    """The token service or the registry refused the credentials or the scope asked for."""


class BlobDigestMismatchError(RegistryError):
    """A blob's bytes did not hash to its digest; it was not committed to the target."""


class CopyInterruptedError(RegistryError):
    """The copy stopped mid-blob (connection cut); a re-run continues with that blob."""


class RegionMismatchError(RegistryError):
    """The target repository is in another region than the deployment."""
