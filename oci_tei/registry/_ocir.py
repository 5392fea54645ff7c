"""Copy an image into OCIR with the caller's OCI identity, making the repository first.

The OCIR side of :func:`~oci_tei.registry.copy_image`:

- the repository is made when missing, private, in the given compartment, with the
  Artifacts API's ``CreateContainerRepository`` (the seed walkthrough's manual console
  step); it needs ``manage repos`` in that compartment;
- the registry's token comes from OCIR's token service signed with the caller's identity
  (:class:`~oci_tei.registry.OciCredentials`), so no auth token and no ``docker login``;
- the digest the tag names afterwards is what a deployment should pin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from oci_tei.contract._ocir import parse_ocir_image
from oci_tei.registry._auth import Anonymous, Credentials
from oci_tei.registry._copy import CopyResult, copy_image
from oci_tei.registry._errors import RegionMismatchError, RegistryError
from oci_tei.registry._reference import parse_reference

__all__ = [
    "OcirImage",
    "copy_into_ocir",
    "ensure_repository",
    "find_ocir_image",
    "platform_for_arch",
]


@dataclass(frozen=True)
class OcirImage:
    """An image OCIR holds, as the Artifacts API lists it."""

    repository: str
    tag: str
    digest: str
    compartment_id: str | None


def platform_for_arch(arch: str | None) -> str:
    """The registry platform a shape runs: ``linux/arm64`` for Ampere (aarch64), else amd64."""
    return "linux/arm64" if arch in ("aarch64", "arm64") else "linux/amd64"


def _service_error() -> type[Exception]:
    import oci

    return oci.exceptions.ServiceError  # type: ignore[no-any-return]


def find_ocir_image(artifacts: Any, tenancy_id: str, repository: str, tag: str) -> OcirImage | None:
    """The image ``repository:tag`` as the Artifacts API lists it (every compartment), or None."""
    import oci

    images = oci.pagination.list_call_get_all_results(
        artifacts.list_container_images,
        tenancy_id,
        compartment_id_in_subtree=True,
        repository_name=repository,
        version=tag,
    ).data
    for image in images:
        if image.version == tag and image.digest:
            return OcirImage(repository, tag, str(image.digest), image.compartment_id)
    return None


def ensure_repository(
    artifacts: Any, compartment_id: str, name: str, *, image: str = "", registry: str = ""
) -> tuple[Any, bool]:
    """The repository ``name`` in ``compartment_id``; made (private) when missing.

    Returns:
        ``(repository summary or model, created)``.

    Raises:
        RegistryError: (step ``repository``) OCI refused to list or create it; the message
            names the ``manage repos`` statement it needs.
    """
    import oci

    def refused(exc: Any, action: str) -> RegistryError:
        return RegistryError(
            f"cannot {action} repository {name} in compartment {compartment_id}: {exc.code}: "
            f"{exc.message}; this needs the policy statement `Allow group <your group> to "
            f"manage repos in compartment id {compartment_id}` (or in tenancy)",
            image=image, registry=registry, step="repository",
            status=exc.status, error_type=exc.code, opc_request_id=exc.request_id,
        )  # fmt: skip

    try:
        found = oci.pagination.list_call_get_all_results(
            artifacts.list_container_repositories, compartment_id, display_name=name
        ).data
    except _service_error() as exc:
        raise refused(exc, "list") from None
    for repository in found:
        if repository.display_name == name:
            return repository, False
    details = oci.artifacts.models.CreateContainerRepositoryDetails(
        compartment_id=compartment_id, display_name=name, is_public=False
    )
    try:
        return artifacts.create_container_repository(details).data, True
    except _service_error() as exc:
        if (
            getattr(exc, "status", None) == 409
        ):  # made meanwhile (another run), or in another compartment
            return None, False
        raise refused(exc, "create") from None


def copy_into_ocir(
    source: str,
    target: str,
    *,
    credentials: Credentials,
    artifacts: Any | None = None,
    compartment_id: str | None = None,
    deployment_region: str | None = None,
    platform: str = "linux/amd64",
    source_credentials: Credentials | None = None,
    endpoints: Mapping[str, str] | None = None,
    progress: bool = True,
) -> CopyResult:
    """Make the repository if needed, then copy ``source`` to the OCIR image ``target``.

    Args:
        source: E.g. ``ghcr.io/huggingface/text-embeddings-inference:cpu-1.9``.
        target: ``<key>.ocir.io/<namespace>/<repository>:<tag>``.
        credentials: For OCIR (:class:`~oci_tei.registry.OciCredentials` normally).
        artifacts: An ``oci.artifacts.ArtifactsClient`` for the target's region; with
            ``compartment_id``, the repository is made there when missing.
        compartment_id: Where a missing repository is made.
        deployment_region: The deployment's region; a target elsewhere is refused.
        platform: ``linux/amd64`` or ``linux/arm64`` (:func:`platform_for_arch`).
        source_credentials: Default anonymous.
        endpoints: Registry hosts served elsewhere (tests, the emulator).
        progress: Draw a byte progress bar.

    Raises:
        RegionMismatchError: The target is in another region than the deployment.
        RegistryError: And its subclasses, from each step (see :func:`copy_image`).
    """
    from oci_tei.contract._regions import region_name

    ref = parse_reference(target)
    repository = parse_ocir_image(target)
    if (
        deployment_region
        and repository.region
        and region_name(repository.region) != deployment_region
    ):
        raise RegionMismatchError(
            f"the repository is in region {repository.region} but the deployment is in "
            f"{deployment_region}; Model Deployment pulls only from its own region's "
            f"registry: use <key>.ocir.io of {deployment_region}",
            image=target, registry=ref.host, step="region",
        )  # fmt: skip
    if artifacts is not None and compartment_id:
        ensure_repository(
            artifacts, compartment_id, repository.name, image=target, registry=ref.host
        )
    return copy_image(
        source,
        ref,
        source_credentials=source_credentials or Anonymous(),
        target_credentials=credentials,
        platforms=(platform,),
        endpoints=endpoints,
        progress=progress,
    )
