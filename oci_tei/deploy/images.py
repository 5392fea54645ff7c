"""Which TEI image a shape needs, where it lives in OCIR, and the docker commands to put it there.

TEI publishes one image per GPU architecture (its README's "Docker Images" table):

=====================  ===========================  ==========================
Architecture           OCI GPUs                     Tag
=====================  ===========================  ==========================
CPU (x86-64, MKL)      Standard/Optimized/DenseIO   ``cpu-<ver>``
Turing (7.5)           T4                           ``turing-<ver>`` (experimental)
Ampere 80              A100, A30                    ``<ver>``
Ampere 86              A10, A40                     ``86-<ver>``
Ada Lovelace           L4, L40, L40S                ``89-<ver>``
Hopper                 H100, H200                   ``hopper-<ver>``
=====================  ===========================  ==========================

GPUs below compute capability 7.5 (P100, V100) cannot run TEI at all. The ``cpu-<ver>``
image is built for x86-64 only (Intel MKL); TEI's ARM64 CPU builds are published only as
``cpu-arm64-latest`` without version tags (TEI issue #900), so Ampere (A1/A2) shapes need
an explicit, pinned ``container.image``. OCI Model Deployment pulls images only from OCIR,
so the deployed image is always ``<ocir_repository>:<tag>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from oci_tei.deploy.errors import UnsupportedShapeError
from oci_tei.deploy.shapes import Shape, parse_shape

if TYPE_CHECKING:
    from oci_tei.deploy.spec import DeploySpec

__all__ = [
    "TEI_REGISTRY",
    "ImageChoice",
    "OcirRepository",
    "choose_image",
    "docker_commands",
    "parse_ocir_repository",
    "tag_architecture",
    "tei_image_tag",
]

TEI_REGISTRY = "ghcr.io/huggingface/text-embeddings-inference"

# GPU model -> (architecture name, tag prefix).
_GPU_IMAGES: dict[str, tuple[str, str]] = {
    "T4": ("turing", "turing-"),
    "A100": ("ampere80", ""),
    "A30": ("ampere80", ""),
    "A10": ("ampere86", "86-"),
    "A40": ("ampere86", "86-"),
    "L4": ("ada", "89-"),
    "L40": ("ada", "89-"),
    "L40S": ("ada", "89-"),
    "H100": ("hopper", "hopper-"),
    "H200": ("hopper", "hopper-"),
}
_UNSUPPORTED_GPUS = {
    "P100": "Pascal, compute capability 6.0",
    "V100": "Volta, compute capability 7.0",
}
_ARCH_BY_PREFIX = (
    ("cpu-arm64-", "cpu-arm64"),
    ("cpu-ipex-", "cpu"),
    ("cpu-", "cpu"),
    ("turing-", "turing"),
    ("86-", "ampere86"),
    ("89-", "ada"),
    ("hopper-", "hopper"),
)
_VERSION_TAG = re.compile(r"^\d+\.\d+(\.\d+)?$")
_OCIR_REPOSITORY = re.compile(
    r"^(?P<host>(?P<region>[a-z0-9-]+)\.ocir\.io|ocir\.(?P<region_id>[a-z0-9-]+)\.oci\.oraclecloud\.com)"
    r"/(?P<namespace>[a-z0-9_-]+)/(?P<name>[a-z0-9][a-z0-9._/-]*)$"
)


def unsupported_reason(shape: Shape) -> str | None:
    """Why TEI cannot run on ``shape`` whatever the image, or None when it can."""
    if shape.kind == "gpu" and shape.gpu in _UNSUPPORTED_GPUS:
        return (
            f"TEI needs an NVIDIA GPU with compute capability >= 7.5 (Turing or newer); the "
            f"{shape.gpu} is {_UNSUPPORTED_GPUS[shape.gpu]}. Choose an A10, A100, L40S or H100 "
            "shape, or a CPU shape"
        )
    return None


def tei_image_tag(shape: Shape, version: str) -> str:
    """The TEI image tag for ``shape`` at TEI ``version`` (``86-1.5`` for an A10).

    Raises:
        UnsupportedShapeError: TEI cannot run on the shape, or publishes no pinned image
            for it (ARM CPUs, unknown GPUs): the reason says what to do.
    """
    reason = unsupported_reason(shape)
    if reason:
        raise UnsupportedShapeError(shape.name, reason)
    if shape.kind == "cpu":
        if shape.arch == "aarch64":
            raise UnsupportedShapeError(
                shape.name,
                "an Ampere ARM shape: TEI's cpu-<version> image is x86-64 only (Intel MKL) and "
                "its ARM64 build is published only as cpu-arm64-latest, without version tags. "
                "Use an x86 shape (VM.Standard.E4.Flex, VM.Standard.E5.Flex, VM.Standard3.Flex) "
                "or set container.image to a pinned arm64 TEI image you built",
                field="container.tei_version",
            )
        return f"cpu-{version}"
    known = _GPU_IMAGES.get(shape.gpu or "")
    if known is None:
        raise UnsupportedShapeError(
            shape.name,
            f"no known TEI image for the {shape.gpu} GPU; set container.image to the image "
            "built for its architecture",
            field="container.tei_version",
        )
    return f"{known[1]}{version}"


def expected_architecture(shape: Shape) -> str | None:
    """The architecture name (``ampere86``, ``cpu``...) TEI images need on ``shape``."""
    if shape.kind == "cpu":
        return "cpu-arm64" if shape.arch == "aarch64" else "cpu"
    known = _GPU_IMAGES.get(shape.gpu or "")
    return known[0] if known else None


def tag_architecture(tag: str) -> str | None:
    """The architecture a TEI image tag targets, or None when the tag is not TEI's scheme.

    ``86-1.5`` -> ``ampere86``; ``1.5`` and ``latest`` -> ``ampere80``; ``cpu-1.5`` -> ``cpu``.
    """
    for prefix, arch in _ARCH_BY_PREFIX:
        if tag.startswith(prefix):
            return arch
    if _VERSION_TAG.match(tag) or tag == "latest":
        return "ampere80"
    return None


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
        if expected and actual and expected != actual:
            warnings.append(
                f"container.image tag {tag!r} is TEI's {actual} build but {shape.name} needs "
                f"the {expected} build; the deployment may fail to start"
            )
    else:
        tag = tei_image_tag(shape, container.tei_version or "")
        source = f"{TEI_REGISTRY}:{tag}"
        target = f"{container.ocir_repository}:{tag}"
    target_repository = parse_ocir_repository(split_image(target)[0])
    region = target_repository.region
    if region and "-" in region and region != spec.region:
        warnings.append(
            f"the image is in OCIR region {region} but the deployment is in {spec.region}; "
            "Model Deployment pulls from the deployment's region"
        )
    return ImageChoice(source=source, target=target, tag=tag, warnings=tuple(warnings))


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
