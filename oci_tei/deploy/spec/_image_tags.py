"""Which TEI image tag a shape needs, per GPU architecture (no spec, no OCIR).

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

The ``86-`` and ``89-`` builds are TEI's builds tuned for those GPUs; TEI's own start-up
check (:mod:`oci_tei.contract._tei`, ``compute_cap_matching``) also runs the Ampere-80 build
on an 8.6 GPU. :func:`tei_start_refusal` refuses only where TEI itself refuses to start.
GPUs below compute capability 7.5 (P100, V100) cannot run TEI at all. The ``cpu-<ver>``
image is built for x86-64 only (Intel MKL). TEI does publish a linux/arm64 CPU image
(``Dockerfile-arm64``, the ``cpu-arm64`` entry of ``.github/workflows/matrix.json``, added
2026-03-31, after release 1.9.3): ``cpu-arm64-latest`` and ``cpu-arm64-sha-<commit>`` from
main, and ``cpu-arm64-<version>`` from the first release after that (TEI's README lists
``cpu-arm64-1.9``, which no release has built yet). So Ampere (A1/A2) shapes take an
explicit ``container.image`` (one of those tags); deploy copies it into OCIR and pins its
digest, so even ``cpu-arm64-latest`` cannot move under a deployment.
"""

from __future__ import annotations

import re

from oci_tei.contract._tei import (
    BUILD_CAP_BY_PREFIX,
    COMPATIBLE_CAPS,
    CPU_PREFIXES,
    DEFAULT_BUILD_CAP,
    GPU_COMPUTE_CAP,
)
from oci_tei.deploy._errors import UnsupportedShapeError
from oci_tei.deploy.spec._shape_names import Shape

__all__ = [
    "TEI_REGISTRY",
    "expected_architecture",
    "tag_architecture",
    "tei_image_tag",
    "tei_start_refusal",
    "unsupported_reason",
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
                "an Ampere ARM shape: TEI's cpu-<version> image is x86-64 only (Intel MKL); its "
                "linux/arm64 build is published as cpu-arm64-latest and cpu-arm64-sha-<commit>, "
                "without version tags so far. Set container.image to "
                "ghcr.io/huggingface/text-embeddings-inference:cpu-arm64-latest (deploy copies "
                "it into OCIR and pins its digest), or use an x86 shape (VM.Standard.E4.Flex, "
                "VM.Standard.E5.Flex, VM.Standard3.Flex)",
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


def tei_start_refusal(tag: str, shape: Shape) -> str | None:
    """Why TEI's image with ``tag`` would refuse to start on ``shape``, or None.

    TEI's rule (``compute_cap_matching``): a CUDA build runs on a GPU of the same compute
    capability or one of :data:`~oci_tei.contract._tei.COMPATIBLE_CAPS`; a CUDA build on a
    shape without a GPU finds no CUDA device. A tag outside TEI's scheme is not judged.
    """
    if tag_architecture(tag) is None or tag.startswith(CPU_PREFIXES):
        return None
    build = next(
        (cap for prefix, cap in BUILD_CAP_BY_PREFIX.items() if tag.startswith(prefix)),
        DEFAULT_BUILD_CAP,
    )
    if shape.kind != "gpu":
        return (
            f"the image tag {tag} is TEI's CUDA build for compute capability {build / 10:.1f}; "
            f"{shape.name} has no GPU, so TEI cannot start (use the cpu-<version> tag)"
        )
    runtime = GPU_COMPUTE_CAP.get(shape.gpu or "")
    if runtime is None or runtime == build or (runtime, build) in COMPATIBLE_CAPS:
        return None
    return (
        f"the image tag {tag} is TEI's build for compute capability {build / 10:.1f}; the "
        f"{shape.gpu} of {shape.name} is {runtime / 10:.1f}, and TEI refuses to start on it "
        "(compute_cap_matching in TEI's backends/candle/src/compute_cap.rs)"
    )
