"""OCIR repository and image references, as Model Deployment accepts them.

OCI Data Science pulls a model deployment's container image only from OCI Container
Registry (source: the SDK's ``OcirModelDeploymentEnvironmentConfigurationDetails`` —
"The full path to the Oracle Container Repository (OCIR) registry, image, and tag in a
canonical format", e.g. ``iad.ocir.io/<namespace>/<image>:<tag>``; and
https://docs.oracle.com/en-us/iaas/data-science/using/mod-dep-byoc.htm). Hosts are
``<region-key>.ocir.io`` or ``ocir.<region-id>.oci.oraclecloud.com``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "OCIR_REPOSITORY_PATTERN",
    "OcirRepository",
    "parse_ocir_image",
    "parse_ocir_repository",
    "split_image",
]

#: ``<host>/<namespace>/<name>`` of an OCIR repository (groups ``host``, ``region``,
#: ``region_id``, ``namespace``, ``name``).
OCIR_REPOSITORY_PATTERN = _OCIR_REPOSITORY = re.compile(
    r"^(?P<host>(?P<region>[a-z0-9-]+)\.ocir\.io|ocir\.(?P<region_id>[a-z0-9-]+)\.oci\.oraclecloud\.com)"
    r"/(?P<namespace>[a-z0-9_-]+)/(?P<name>[a-z0-9][a-z0-9._/-]*)$"
)


@dataclass(frozen=True)
class OcirRepository:
    """An OCIR repository: ``<host>/<tenancy-namespace>/<name>``."""

    host: str
    namespace: str
    name: str
    region: str | None

    def __str__(self) -> str:
        return f"{self.host}/{self.namespace}/{self.name}"


def parse_ocir_repository(text: str) -> OcirRepository:
    """Parse ``<region>.ocir.io/<tenancy-namespace>/<repo>`` (no tag).

    Raises:
        ValueError: Not an OCIR repository, or it carries a tag or digest.
    """
    if "@" in text or ":" in text.split("/")[-1]:
        raise ValueError(
            f"{text!r} carries a tag or digest: give the repository only, the tag comes from "
            "the TEI version and the shape"
        )
    match = _OCIR_REPOSITORY.match(text)
    if not match:
        raise ValueError(
            f"{text!r} is not an OCIR repository: expected "
            "<region>.ocir.io/<tenancy-namespace>/<name>, e.g. "
            "iad.ocir.io/mytenancy/text-embeddings-inference"
        )
    return OcirRepository(
        host=match.group("host"),
        namespace=match.group("namespace"),
        name=match.group("name"),
        region=match.group("region") or match.group("region_id"),
    )


def split_image(image: str) -> tuple[str, str]:
    """Split ``repo[:tag]`` into repository and tag (``latest`` when none)."""
    repository, _, tag = image.rpartition(":")
    if not repository or "/" in tag:
        return image, "latest"
    return repository, tag


def parse_ocir_image(image: str) -> OcirRepository:
    """The repository of an OCIR image reference ``<host>/<namespace>/<name>[:tag|@digest]``.

    Raises:
        ValueError: Not an image in OCIR.
    """
    repository = image.split("@", 1)[0]
    return parse_ocir_repository(split_image(repository)[0])
