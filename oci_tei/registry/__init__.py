"""Copy TEI's image into OCIR registry to registry: no docker, the caller's own OCI identity.

:func:`copy_image` streams an image between two registries over the OCI Distribution
(registry v2) HTTP API; :func:`resolve_digest` reads the digest a tag names, which is what
a deployment should run (a moved tag then cannot change it). Credentials:
:class:`Anonymous` (TEI's public images), :class:`OciCredentials` (OCIR, signed with the
caller's OCI identity) and :class:`BasicCredentials` (a user and an auth token).
See docs/image-copy.md.
"""

from oci_tei.registry._auth import Anonymous, BasicCredentials, Credentials, OciCredentials
from oci_tei.registry._copy import CopyResult, copy_image, resolve_digest
from oci_tei.registry._errors import (
    BlobDigestMismatchError,
    CopyInterruptedError,
    ImageNotFoundError,
    RegionMismatchError,
    RegistryAuthError,
    RegistryError,
    RegistryUnreachableError,
)
from oci_tei.registry._ocir import (
    OcirImage,
    copy_into_ocir,
    ensure_repository,
    find_ocir_image,
    platform_for_arch,
)
from oci_tei.registry._reference import ENDPOINTS_ENV, ImageReference, parse_reference

__all__ = [
    "ENDPOINTS_ENV",
    "Anonymous",
    "BasicCredentials",
    "BlobDigestMismatchError",
    "CopyInterruptedError",
    "CopyResult",
    "Credentials",
    "ImageNotFoundError",
    "ImageReference",
    "OciCredentials",
    "OcirImage",
    "RegionMismatchError",
    "RegistryAuthError",
    "RegistryError",
    "RegistryUnreachableError",
    "copy_image",
    "copy_into_ocir",
    "ensure_repository",
    "find_ocir_image",
    "parse_reference",
    "platform_for_arch",
    "resolve_digest",
]
