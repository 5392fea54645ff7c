"""The image a deployment runs, where it comes from, and the docker commands to put it in OCIR.

The tag follows from the shape (:mod:`~oci_tei.deploy.spec._image_tags`); OCI Model Deployment
pulls images only from OCIR (:mod:`oci_tei.contract._ocir`), so the deployed image is
always ``<ocir_repository>:<tag>`` unless the spec names an image already in OCIR.
"""

from __future__ import annotations

from dataclasses import dataclass

from oci_tei.contract._ocir import parse_ocir_repository, split_image
from oci_tei.contract._regions import region_name
from oci_tei.deploy.spec._document import DeploySpec
from oci_tei.deploy.spec._image_tags import (
    TEI_REGISTRY,
    expected_architecture,
    tag_architecture,
    tei_image_tag,
    tei_start_refusal,
)
from oci_tei.deploy.spec._shape_names import parse_shape

__all__ = ["ImageChoice", "choose_image", "docker_commands", "region_mismatch"]


@dataclass(frozen=True)
class ImageChoice:
    """The image a deployment runs and where it comes from.

    Attributes:
        source: The image to pull (TEI's on ghcr.io, or the spec's explicit image).
        target: The OCIR image the deployment runs.
        tag: The tag shared by both.
        warnings: Mismatches worth a look (tag built for another GPU architecture...).
    """

    source: str
    target: str
    tag: str
    warnings: tuple[str, ...] = ()

    @property
    def needs_push(self) -> bool:
        """Whether the source must be pushed to OCIR before deploying."""
        return self.source != self.target


def choose_image(spec: DeploySpec) -> ImageChoice:
    """Pick the image for a validated spec: derived from the TEI version, or explicit.

    An explicit ``container.image`` wins; it runs as is when it already lives in OCIR and
    is otherwise pushed to ``container.ocir_repository`` under its own tag.
    """
    shape = parse_shape(spec.infrastructure.shape)
    container = spec.container
    warnings: list[str] = []
    if container.image:
        repository, tag = split_image(container.image)
        source = container.image
        try:
            parse_ocir_repository(repository)
            target = container.image
        except ValueError:
            target = f"{container.ocir_repository}:{tag}"
        expected = expected_architecture(shape)
        actual = tag_architecture(tag)
        # Only where TEI itself refuses to start (its compute_cap_matching): the Ampere-80
        # build runs on an A10, the 86- build is merely the one tuned for it.
        if tei_start_refusal(tag, shape):
            warnings.append(
                f"container.image tag {tag!r} is TEI's {actual} build but {shape.name} needs "
                f"the {expected} build; TEI will refuse to start on it"
            )
    else:
        tag = tei_image_tag(shape, container.tei_version or "")
        source = f"{TEI_REGISTRY}:{tag}"
        target = f"{container.ocir_repository}:{tag}"
    target_repository = parse_ocir_repository(split_image(target)[0])
    warning = region_mismatch(target_repository.region, spec.region)
    if warning:
        warnings.append(warning)
    return ImageChoice(source=source, target=target, tag=tag, warnings=tuple(warnings))


def region_mismatch(registry_region: str | None, deployment_region: str) -> str | None:
    """Why an image in OCIR ``registry_region`` cannot serve ``deployment_region``, or None.

    ``registry_region`` is a region key (``iad``, as in ``iad.ocir.io``) or a region name.
    """
    if not registry_region:
        return None
    name = region_name(registry_region)
    if name is None:
        return (
            f"the image's OCIR region key {registry_region!r} is not a region the oci SDK "
            f"knows; Model Deployment pulls from the deployment's region ({deployment_region})"
        )
    if name != deployment_region:
        return (
            f"the image is in OCIR region {registry_region} ({name}) but the deployment is in "
            f"{deployment_region}; Model Deployment pulls from the deployment's region"
        )
    return None


def docker_commands(choice: ImageChoice, *, username: str | None = None) -> list[str]:
    """The shell commands that put the image into OCIR (login, pull, tag, push).

    Args:
        choice: From :func:`choose_image`.
        username: The OCI user name for ``docker login`` (``<namespace>/<user>``, or
            ``<namespace>/oracleidentitycloudservice/<user>`` for federated users).
    """
    repository = parse_ocir_repository(split_image(choice.target)[0])
    user = f"{repository.namespace}/{username or '<username>'}"
    commands = [
        "# Password: an OCI auth token (Profile > Auth tokens), not your console password.",
        f"docker login -u '{user}' {repository.host}",
    ]
    if not choice.needs_push:
        commands.append(f"# {choice.target} is already in OCIR: nothing to push.")
        return commands
    # TEI images are linux/amd64: pin it so a pull on an ARM laptop gets what OCI will run.
    platform = "" if "arm64" in choice.tag else "--platform linux/amd64 "
    commands += [
        f"docker pull {platform}{choice.source}",
        f"docker tag {choice.source} {choice.target}",
        f"docker push {choice.target}",
    ]
    return commands
